import { uuidv7 } from "uuidv7";
import type { FingerPosition } from "../agent/capture/finger-position.js";
import type { CaptureRecord } from "../agent/records/capture-record.js";
import type { GreyImage } from "../drivers/sensor.js";

/**
 * A complete session record as the capture loop produces it, one image per finger from
 * `imageFor`, so benchmarks measure records of the real size and shape.
 */
export function benchRecord(
  plan: string,
  positions: readonly FingerPosition[],
  imageFor: (position: FingerPosition) => GreyImage,
): CaptureRecord {
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    device: { id: "bench", site: "lab", lane: "1", direction: "entry" },
    plan,
    startedAt: now,
    finishedAt: now,
    outcome: "complete",
    fingers: positions.map((position) => {
      const { width, height, resolutionPpi, pixels } = imageFor(position);
      return {
        position,
        outcome: "captured" as const,
        sensorId: "sensor-1",
        qualityThreshold: 40,
        attempts: [
          {
            sensorId: "sensor-1",
            startedAt: now,
            verdict: "good" as const,
            score: 80,
            feedback: [],
            timings: { placementWaitMs: 800, captureMs: 900, assessmentMs: 12 },
          },
        ],
        bestAttempt: 0,
        image: { width, height, resolutionPpi, pixels },
        quality: {
          score: 80,
          measure: "bench",
          condition: "good" as const,
          measures: { fingerArea: 0.6 },
        },
      };
    }),
    sensors: [{ id: "sensor-1", kind: "r30x", model: "r307", identity: { systemId: "0x0009" } }],
    timings: { totalMs: 4_000, travellerMs: 2_000, sensorMs: 1_800, assessmentMs: 24 },
  };
}

import { uuidv7 } from "uuidv7";
import type { CaptureRecord } from "../../agent/records/capture-record.js";

/** A record shaped like the capture loop's, with a distinctive pixel pattern per seed. */
export function makeRecord(seed = 1, size = { width: 64, height: 48 }): CaptureRecord {
  const pixels = new Uint8Array(size.width * size.height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + seed * 13) & 0xff;
  const now = new Date().toISOString();
  return {
    id: uuidv7(),
    device: { id: "test-terminal", site: "lab", lane: "1", direction: "entry" },
    plan: "verify-right-index",
    startedAt: now,
    finishedAt: now,
    outcome: "complete",
    fingers: [
      {
        position: 2,
        outcome: "captured",
        sensorId: "sensor-1",
        qualityThreshold: 40,
        attempts: [
          {
            sensorId: "sensor-1",
            startedAt: now,
            verdict: "wet",
            score: 22,
            feedback: ["wipe-finger"],
            prompt: "wipe-finger",
            timings: { placementWaitMs: 0, captureMs: 850.5, assessmentMs: 11.25 },
          },
          {
            sensorId: "sensor-1",
            startedAt: now,
            verdict: "good",
            score: 61,
            feedback: [],
            timings: { placementWaitMs: 2_400, captureMs: 861, assessmentMs: 10 },
          },
        ],
        bestAttempt: 1,
        image: { ...size, resolutionPpi: 500, pixels },
        quality: { score: 61, measure: "test", condition: "good", measures: { fingerArea: 0.6 } },
      },
    ],
    sensors: [{ id: "sensor-1", kind: "r30x", model: "r503", identity: { serial: "R503-0001" } }],
    timings: { totalMs: 5_000, travellerMs: 3_000, sensorMs: 1_800, assessmentMs: 21.25 },
  };
}

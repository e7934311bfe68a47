import { resolvePlan } from "../../agent/capture/capture-plan.js";
import { runCaptureSession } from "../../agent/capture/capture-session.js";
import { SensorPool } from "../../agent/capture/sensor-pool.js";
import { SessionControl } from "../../agent/capture/session-control.js";
import { SessionEvents } from "../../agent/capture/session-events.js";
import { parseAgentConfig } from "../../agent/config/load.js";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import { GuidancePresenter } from "../../agent/guidance/guidance-presenter.js";
import { createLogger } from "../../agent/log/logger.js";
import { assessQuality } from "../../agent/quality/assess-quality.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { BAUD_UNIT } from "../../drivers/r30x/system-parameters.js";
import { PromptedTraveller } from "../../hardware-sim/prompted-traveller.js";
import { startSimulatedSensor, type SimulatedSensor } from "../../hardware-sim/simulated-sensor.js";
import type { Benchmark, Figure } from "../benchmark.js";

const SESSIONS = 5;
/** How long the simulated traveller takes to move to the next finger once asked. */
const TRAVELLER_REACTION_MS = 400;

/**
 * Whole sessions on an R503 at 115200 baud and 256-byte packets, its line paced like the
 * real cable, with realistic prints from a traveller who follows the prompts. Overhead is
 * what the agent spends of its own: the session's time less its waits on the traveller
 * and on the sensor (images, aura light).
 */
async function runSessions(planName: "kiosk-two-index" | "verify-right-index") {
  const simulated = await startSimulatedSensor({
    port: 0,
    model: "r503",
    module: { baudMultiplier: 115_200 / BAUD_UNIT, packetSizeCode: 3 },
    lineTiming: true,
  });
  const sensor = new R30xSensor(
    r30xSensorConfig({ id: "bench", path: simulated.url, baud: 115_200, model: "r503" }),
    { pollIntervalMs: 20 },
  );
  const config = parseAgentConfig({ capture: { plan: planName } });
  const logger = createLogger({ name: "bench", level: "silent" });
  const events = new SessionEvents();
  const presenter = new GuidancePresenter({ events, logger });
  const records: CaptureRecord[] = [];
  let traveller = newTraveller(simulated, 1);
  events.on((event) => {
    traveller.hear(event);
  });
  try {
    await sensor.open();
    for (let seed = 1; seed <= SESSIONS; seed++) {
      traveller = newTraveller(simulated, seed);
      const plan = resolvePlan(config.capture);
      const first = plan.fingers[0]?.position ?? 2;
      traveller.place(first);
      await sensor.waitForFinger({ timeoutMs: 5_000 });
      records.push(
        await runCaptureSession({
          sensors: new SensorPool([sensor]),
          plan,
          device: config.device,
          timeouts: config.capture.timeouts,
          adaptParameters: true,
          presenter,
          events,
          logger,
          signal: new AbortController().signal,
          control: new SessionControl(),
          firstFingerPlaced: true,
          assess: assessQuality,
        }),
      );
      traveller.walkAway();
    }
  } finally {
    traveller.stop();
    await sensor.close();
    await simulated.close();
  }
  return records;
}

/** Traveller `seed`, clean fingers, following the prompts on `simulated`. */
function newTraveller(simulated: SimulatedSensor, seed: number): PromptedTraveller {
  return new PromptedTraveller({
    platen: simulated.platen,
    seed,
    sensor: "r503",
    reactionMs: TRAVELLER_REACTION_MS,
  });
}

function summarise(plan: string, records: readonly CaptureRecord[]): Figure[] {
  const sum = (pick: (r: CaptureRecord) => number): number =>
    records.reduce((total, record) => total + pick(record), 0);
  const total = sum((r) => r.timings.totalMs);
  const overhead = sum((r) => r.timings.totalMs - r.timings.travellerMs - r.timings.sensorMs);
  const attempts = sum((r) => r.fingers.reduce((n, f) => n + f.attempts.length, 0));
  const complete = records.filter((r) => r.outcome === "complete").length;
  if (complete !== records.length) {
    throw new Error(`${plan}: ${records.length - complete} sessions did not complete`);
  }
  return [
    { metric: `${plan} session time`, value: total / records.length / 1000, unit: "s/session" },
    { metric: `${plan} attempts`, value: attempts / records.length, unit: "attempts/session" },
    { metric: `${plan} agent overhead`, value: overhead / records.length, unit: "ms/session" },
    { metric: `${plan} agent overhead`, value: overhead / attempts, unit: "ms/attempt" },
    { metric: `${plan} overhead share`, value: (100 * overhead) / total, unit: "% of session" },
    {
      metric: `${plan} assessment`,
      value: sum((r) => r.timings.assessmentMs) / attempts,
      unit: "ms/attempt",
    },
  ];
}

const sessions: Benchmark = {
  name: "capture-session-r503",
  description:
    "Whole capture sessions on a paced R503 at 115200 baud: session time and the agent's own overhead (target <= 2 %)",
  async run() {
    const figures: Figure[] = [];
    for (const plan of ["kiosk-two-index", "verify-right-index"] as const) {
      figures.push(...summarise(plan, await runSessions(plan)));
    }
    return figures;
  },
};

export const captureSessionBenchmarks: readonly Benchmark[] = [sessions];

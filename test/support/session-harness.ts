import { resolvePlan } from "../../agent/capture/capture-plan.js";
import { runCaptureSession } from "../../agent/capture/capture-session.js";
import { SensorPool } from "../../agent/capture/sensor-pool.js";
import { SessionControl } from "../../agent/capture/session-control.js";
import { SessionEvents, type TimedSessionEvent } from "../../agent/capture/session-events.js";
import { parseAgentConfig } from "../../agent/config/load.js";
import type { AgentConfigInput } from "../../agent/config/schema.js";
import { GuidancePresenter } from "../../agent/guidance/guidance-presenter.js";
import type { BuzzerTone, GateLights } from "../../agent/guidance/signals.js";
import { createLogger } from "../../agent/log/logger.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
import type { FingerprintSensor } from "../../drivers/sensor.js";
import { scriptedAssess } from "./scripted-sensor.js";

export interface SessionHarness {
  readonly events: TimedSessionEvent[];
  readonly gateSignals: { lights: GateLights; tone: BuzzerTone }[];
  readonly control: SessionControl;
  readonly shutdown: AbortController;
  run(): Promise<CaptureRecord>;
  /** Prompt ids in the order shown. */
  prompts(): string[];
}

/**
 * A session on scripted sensors with short timeouts: placement 150 ms unless the capture
 * section says otherwise, and the plan, thresholds and budgets from `capture`.
 */
export function sessionHarness(
  sensors: readonly FingerprintSensor[],
  capture: AgentConfigInput["capture"] = {},
  options: { firstFingerPlaced?: boolean } = {},
): SessionHarness {
  const config = parseAgentConfig({ capture });
  const events: TimedSessionEvent[] = [];
  const bus = new SessionEvents((error) => {
    throw error;
  });
  bus.on((event) => events.push(event));
  const gateSignals: { lights: GateLights; tone: BuzzerTone }[] = [];
  let lights: GateLights = {};
  const logger = createLogger({ name: "test", level: "silent" });
  const presenter = new GuidancePresenter({
    events: bus,
    gate: {
      show: (shown) => (lights = shown),
      sound: (tone) => gateSignals.push({ lights, tone }),
    },
    logger,
  });
  const control = new SessionControl();
  const shutdown = new AbortController();
  const timeouts = {
    ...config.capture.timeouts,
    placementMs: capture.timeouts?.placementMs ?? 150,
    retryLiftMs: capture.timeouts?.retryLiftMs ?? 0,
    failoverOpenMs: 200,
  };
  return {
    events,
    gateSignals,
    control,
    shutdown,
    run: () =>
      runCaptureSession({
        sensors: new SensorPool(sensors),
        plan: resolvePlan(config.capture),
        device: config.device,
        timeouts,
        adaptParameters: config.capture.adaptParameters,
        presenter,
        events: bus,
        logger,
        signal: shutdown.signal,
        control,
        firstFingerPlaced: options.firstFingerPlaced ?? true,
        assess: scriptedAssess,
      }),
    prompts: () =>
      events.flatMap((event) => (event.type === "prompt-shown" ? [event.promptId] : [])),
  };
}

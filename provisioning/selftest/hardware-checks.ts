import { setTimeout as sleep } from "node:timers/promises";
import type { AgentConfig, SensorConfig } from "../../agent/config/schema.js";
import { assessQuality } from "../../agent/quality/assess-quality.js";
import { createSensor } from "../../drivers/create-sensor.js";
import { createGpio } from "../../drivers/gpio/create-gpio.js";
import type { Gpio } from "../../drivers/gpio/gpio.js";
import { messageOf } from "../../agent/cli-support/command-io.js";
import type { CheckResult } from "./check-result.js";

export interface Operator {
  /** Tells the engineer what to do now. */
  instruct(text: string): void;
  /** Asks a yes/no question; true at once when confirmations are skipped (--yes). */
  confirm(question: string): Promise<boolean>;
}

/**
 * Opens the sensor as the agent would, takes an image of a finger and judges it with the
 * agent's quality model; passes when one of capture.attemptsPerFinger attempts reaches
 * capture.qualityThreshold, as a traveller's finger would be accepted.
 */
export async function checkSensor(
  config: AgentConfig,
  sensorConfig: SensorConfig,
  operator: Operator,
  timeouts: { openMs: number; fingerMs: number },
): Promise<CheckResult> {
  const subject = `sensor ${sensorConfig.id}`;
  const sensor = createSensor(sensorConfig);
  const fail = (detail: string): CheckResult => ({
    check: "sensors",
    subject,
    status: "fail",
    detail,
  });
  try {
    let description;
    try {
      description = await sensor.open(AbortSignal.timeout(timeouts.openMs));
    } catch (error) {
      return fail(`did not open within ${timeouts.openMs} ms (${messageOf(error)})`);
    }
    const threshold = config.capture.qualityThreshold;
    const attempts = config.capture.attemptsPerFinger;
    let best: { score: number; detail: string } | undefined;
    for (let attempt = 1; attempt <= attempts && (best?.score ?? -1) < threshold; attempt++) {
      if (attempt > 1) {
        operator.instruct("Lift the finger.\n");
        await sensor.waitForFingerRemoved({ timeoutMs: timeouts.fingerMs }).catch(() => undefined);
      }
      operator.instruct(`Place a finger on ${sensorConfig.id} (${description.model})...\n`);
      try {
        await sensor.waitForFinger({ timeoutMs: timeouts.fingerMs });
      } catch (error) {
        return fail(
          `no finger within ${Math.round(timeouts.fingerMs / 1000)} s (${messageOf(error)})`,
        );
      }
      const image = await sensor.captureImage(AbortSignal.timeout(timeouts.openMs + 15_000));
      // The operator places one finger, whatever the sensor's size.
      const quality = assessQuality(image, { expectedFingers: 1 });
      if (best === undefined || quality.score > best.score)
        best = {
          score: quality.score,
          detail: `${description.model} ${image.width}x${image.height}, captured in ${Math.round(image.durationMs)} ms, quality ${quality.score} (${quality.condition}), threshold ${threshold}, best of ${attempt}`,
        };
    }
    if (best === undefined) return fail("no image taken");
    return {
      check: "sensors",
      subject,
      status: best.score >= threshold ? "pass" : "fail",
      detail:
        best.score >= threshold ? best.detail : `${best.detail}: clean the window and try again`,
    };
  } catch (error) {
    return fail(messageOf(error));
  } finally {
    await sensor.close();
  }
}

const OUTPUTS = [
  { role: "ledGreen", what: "green lamp", question: "Did the green lamp light?" },
  { role: "ledRed", what: "red lamp", question: "Did the red lamp light?" },
  { role: "ledAmber", what: "amber lamp", question: "Did the amber lamp light?" },
  { role: "buzzer", what: "buzzer", question: "Did the buzzer sound?" },
  { role: "doorLock", what: "door lock", question: "Did the door lock click?" },
  { role: "gateRelay", what: "gate relay", question: "Did the gate relay click?" },
] as const;

/** Lamps, buzzer, lock and relay, each pulsed once and confirmed by the engineer. */
export async function checkOutputs(
  config: AgentConfig,
  operator: Operator,
  options: { pulseMs: number; gpio?: Gpio },
): Promise<CheckResult[]> {
  if (config.gpio.backend === "none")
    return [
      { check: "outputs", subject: "gate outputs", status: "skip", detail: "gpio.backend is none" },
    ];
  const configured = OUTPUTS.filter((output) => config.gpio.pins[output.role] !== undefined);
  if (configured.length === 0)
    return [
      {
        check: "outputs",
        subject: "gate outputs",
        status: "skip",
        detail: "no output pins configured",
      },
    ];
  const gpio = options.gpio ?? createGpio(config.gpio);
  const results: CheckResult[] = [];
  try {
    for (const output of configured) {
      const pin = config.gpio.pins[output.role];
      if (pin === undefined) continue;
      const subject = `${output.role} (GPIO ${pin.line})`;
      if (
        output.role === "gateRelay" &&
        !(await operator.confirm("Pulse the gate relay now? The gate may open for a moment."))
      ) {
        results.push({ check: "outputs", subject, status: "skip", detail: "not pulsed: declined" });
        continue;
      }
      try {
        const line = gpio.output(output.role, pin);
        line.write(1);
        const driven = line.value === 1;
        await sleep(options.pulseMs);
        line.write(0);
        const seen = await operator.confirm(output.question);
        results.push({
          check: "outputs",
          subject,
          status: driven && seen ? "pass" : "fail",
          detail: !driven
            ? "the line did not take the value"
            : seen
              ? `${output.what} pulsed for ${options.pulseMs} ms and confirmed`
              : `${output.what} pulsed, but not seen: check the wiring and pin map`,
        });
      } catch (error) {
        results.push({ check: "outputs", subject, status: "fail", detail: messageOf(error) });
      }
    }
  } finally {
    // Drives every output inactive again: the relay stays closed after the test.
    gpio.close();
  }
  return results;
}

import { describe, expect, it } from "vitest";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import { createSensor } from "../../drivers/create-sensor.js";
import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import type { SensorStatus } from "../../drivers/supervised-sensor.js";
import { parseScenario } from "../../hardware-sim/r30x/fault-scenario.js";
import {
  runCaptureLoop,
  startTraveller,
  watchPath,
  type CaptureLoop,
  type PathWatch,
} from "../support/capture-harness.js";
import { captureLog, type CapturedLog } from "../support/log-capture.js";
import { printImage } from "../support/r30x-images.js";
import { ptySkipReason, startPtyModule, type TimedSimulatorEvent } from "../support/r30x-pty.js";
import { waitFor } from "../support/wait.js";
import { WireTap } from "../support/wire-tap.js";

const skipped = ptySkipReason === undefined ? "" : ` (skipped: ${ptySkipReason})`;
const SOAK = process.env.BASMA_SOAK === "1";
/** How long one bounded case may take to show a fault and a good capture after it. */
const CASE_LIMIT_MS = 12_000;
const CASE_TIMEOUT_MS = CASE_LIMIT_MS + 8_000;
const SOAK_MS = Number(process.env.BASMA_SOAK_MS ?? 60_000);

/** A traveller's fingers: each capture must come back as one of these. */
const PLACEMENTS = [41, 42, 43].map((seed) => printImage(256, 288, seed));

/**
 * Commands from the `first`th on: with `instructions` and `times`, a fault fires on the
 * first matching commands once the loop has been running a while (opening takes two
 * commands and a capture about a dozen), so it hits a sensor that was already working.
 */
function from(first: number): number[] {
  return Array.from({ length: 2_000 }, (_, i) => first + i);
}

interface Run {
  readonly tap: WireTap;
  readonly loop: CaptureLoop;
  readonly events: readonly TimedSimulatorEvent[];
  readonly statuses: readonly { readonly status: SensorStatus; readonly at: number }[];
  readonly path: PathWatch;
  readonly log: CapturedLog;
}

/**
 * A supervised R307 sensor on the simulator's pseudo-terminal, running `faults`, driven
 * by the agent's loop while a traveller comes and goes; runs until `until` holds (or
 * the limit passes) and hands back everything observed.
 */
async function runWithFaults(
  faults: readonly object[],
  until: (run: Run) => boolean,
  options: { readonly seed?: number; readonly limitMs?: number } = {},
): Promise<Run> {
  const pty = await startPtyModule({
    model: "r307",
    scenario: parseScenario({ seed: options.seed ?? 7, faults }),
  });
  const tap = new WireTap();
  const log = captureLog("debug");
  const sensor = createSensor(r30xSensorConfig({ id: "gate-1", path: pty.linkPath }), {
    openLink: tap.openLink,
    pollIntervalMs: 20,
    logger: log.logger,
    supervisor: { backoff: { initialMs: 50, maxMs: 200 } },
  });
  const statuses: { status: SensorStatus; at: number }[] = [];
  sensor.onStatus((status) => statuses.push({ status, at: performance.now() }));
  const path = watchPath(pty.linkPath);
  const stop = new AbortController();
  const traveller = startTraveller(
    (image) => {
      pty.module.placeFinger(image);
    },
    () => {
      pty.module.liftFinger();
    },
    PLACEMENTS,
    { onMs: 250, offMs: 150 },
  );
  const loop = runCaptureLoop(sensor, PLACEMENTS, stop.signal);
  const run = (): Run => ({
    tap,
    loop,
    events: pty.events,
    statuses,
    path,
    log,
  });
  try {
    await waitFor(
      "the fault and a good capture after it",
      () => until(run()),
      options.limitMs ?? CASE_LIMIT_MS,
      20,
    );
  } finally {
    stop.abort();
    await traveller.stop();
    await loop.done;
    await sensor.close();
    await path.stop();
    await pty.close();
  }
  return run();
}

/** The first good capture after `at`, if any. */
function goodCaptureAfter(run: Run, at: number | undefined): number | undefined {
  if (at === undefined) return undefined;
  return run.loop.captures.find((capture) => capture.at > at && capture.placement !== undefined)
    ?.at;
}

/** When each kind of fault first showed, as the simulator or the wire saw it. */
const SEEN: Readonly<
  Record<
    "unplug" | "no-reply" | "delay" | "wrong-address" | "error-code" | "damage",
    (run: Run) => number | undefined
  >
> = {
  unplug: (run) => run.events.find((event) => event.kind === "unplugged")?.at,
  "no-reply": (run) => run.tap.overtaken[0]?.at,
  delay: (run) => run.tap.overtaken[0]?.at,
  "wrong-address": (run) => run.tap.foreignFrames[0],
  "error-code": (run) =>
    run.tap.acks.find((ack) => ack.confirmation === Confirmation.SensorHardwareError)?.at,
  damage: (run) => run.tap.discards[0]?.at,
};

/**
 * Runs `faults`, then checks what every case must show: the fault fired, the driver
 * went on capturing afterwards without anyone restarting it, and every image it took
 * is exactly one the traveller placed. Returns the run and how long recovery took.
 */
async function expectRecovery(
  faults: readonly object[],
  seen: (run: Run) => number | undefined,
  options: { readonly seed?: number } = {},
): Promise<{ run: Run; firedAt: number; recoveryMs: number }> {
  const run = await runWithFaults(
    faults,
    (r) => goodCaptureAfter(r, seen(r)) !== undefined,
    options,
  );
  const firedAt = seen(run);
  expect(firedAt, "the fault never showed").toBeDefined();
  const recoveredAt = goodCaptureAfter(run, firedAt);
  expect(recoveredAt, "no good capture after the fault").toBeDefined();
  const wrong = run.loop.captures.filter((capture) => capture.placement === undefined);
  expect(wrong, "captures whose pixels match no placed image").toHaveLength(0);
  return { run, firedAt: firedAt ?? 0, recoveryMs: (recoveredAt ?? 0) - (firedAt ?? 0) };
}

describe.skipIf(ptySkipReason !== undefined)(
  `R30x driver over a real pseudo-terminal: recovery from every fault kind${skipped}`,
  () => {
    it(
      "unplug: the link vanishes and returns; the supervisor reopens the sensor",
      { timeout: CASE_TIMEOUT_MS },
      async () => {
        const { run, firedAt, recoveryMs } = await expectRecovery(
          [
            {
              kind: "unplug",
              durationMs: 1_500,
              instructions: ["GenImg"],
              atCommand: from(12),
              times: 1,
            },
          ],
          SEEN.unplug,
        );
        expect(run.events.map((event) => event.kind)).toEqual(["unplugged", "replugged"]);
        // Nothing can be captured while the adapter is out.
        expect(recoveryMs).toBeGreaterThanOrEqual(1_500);
        const gone = run.path.changes.find((change) => !change.exists && change.at > firedAt - 50);
        expect(gone, "the link path never disappeared").toBeDefined();
        const back = run.path.changes.find(
          (change) => change.exists && change.at > (gone?.at ?? 0),
        );
        expect(back, "the link path never came back").toBeDefined();
        const lost = run.statuses.find((entry) => entry.status === "lost");
        expect(lost, "the supervisor never saw the sensor lost").toBeDefined();
        expect(
          run.statuses.find((entry) => entry.status === "ready" && entry.at > (lost?.at ?? 0)),
          "the supervisor never had the sensor ready again",
        ).toBeDefined();
        expect(run.loop.failures.map((failure) => failure.kind)).toContain("disconnected");
        expect(run.tap.opens).toBeGreaterThanOrEqual(2);
        expect(run.log.lines().map((line) => line.msg)).toEqual(
          expect.arrayContaining(["sensor lost; reopening", "sensor back"]),
        );
      },
    );

    it(
      "no-reply: three lost GenImgs surface as one no-reply, and the loop carries on",
      { timeout: CASE_TIMEOUT_MS },
      async () => {
        const { run } = await expectRecovery(
          [{ kind: "no-reply", instructions: ["GenImg"], atCommand: from(12), times: 3 }],
          SEEN["no-reply"],
        );
        expect(run.tap.overtaken.length).toBeGreaterThanOrEqual(2);
        expect(run.loop.failures.map((failure) => failure.kind)).toEqual(["no-reply"]);
      },
    );

    it(
      "delay: a reply later than the command timeout is outlived by the retransmission",
      { timeout: CASE_TIMEOUT_MS },
      async () => {
        const { run } = await expectRecovery(
          [{ kind: "delay", ms: 2_600, instructions: ["GenImg"], atCommand: from(12), times: 1 }],
          SEEN.delay,
        );
        expect(run.tap.slowestReplyMs).toBeGreaterThanOrEqual(2_500);
      },
    );

    it(
      "wrong-address: a reply from another module is ignored and the command sent again",
      { timeout: CASE_TIMEOUT_MS },
      async () => {
        const { run } = await expectRecovery(
          [
            {
              kind: "wrong-address",
              address: "0x0000002A",
              instructions: ["GenImg"],
              atCommand: from(12),
              times: 1,
            },
          ],
          SEEN["wrong-address"],
        );
        expect(run.tap.overtaken.map((command) => command.instruction)).toContain(
          Instruction.GenImg,
        );
      },
    );

    it(
      "error-code: 0x29 from GenImg reaches the loop as a device error; captures go on",
      { timeout: CASE_TIMEOUT_MS },
      async () => {
        const { run } = await expectRecovery(
          [
            {
              kind: "error-code",
              code: "0x29",
              instructions: ["GenImg"],
              atCommand: from(12),
              times: 2,
            },
          ],
          SEEN["error-code"],
        );
        const failures = run.loop.failures.filter((failure) => failure.kind === "device");
        expect(failures.map((failure) => failure.deviceCode)).toEqual([0x29, 0x29]);
        expect(run.statuses.map((entry) => entry.status)).not.toContain("lost");
      },
    );

    for (const kind of ["drop", "corrupt", "duplicate"] as const) {
      it(
        `${kind}: a damaged image upload is never taken for an image, and is fetched again`,
        { timeout: CASE_TIMEOUT_MS },
        async () => {
          const { run, firedAt } = await expectRecovery(
            [{ kind, bytes: 2, instructions: ["UpImage"], atCommand: from(12), times: 1 }],
            SEEN.damage,
          );
          expect(run.tap.discards.length).toBeGreaterThan(0);
          // The damaged upload was sent (just before the damage showed) and fetched again.
          const uploads = run.tap.commands.filter(
            (command) => command.instruction === Instruction.UpImage && command.at > firedAt - 500,
          );
          expect(uploads.length).toBeGreaterThanOrEqual(2);
          // Whoever noticed, it was noticed as a line error, never as a finished capture.
          for (const failure of run.loop.failures) expect(failure.kind).toBe("protocol");
        },
      );
    }

    it(
      "garbage: noise before replies is skipped without the caller noticing",
      { timeout: CASE_TIMEOUT_MS },
      async () => {
        const { run } = await expectRecovery(
          [
            {
              kind: "garbage",
              bytes: 16,
              instructions: ["GenImg", "UpImage"],
              atCommand: from(12),
              times: 4,
            },
          ],
          SEEN.damage,
        );
        expect(run.tap.discards.some((discard) => discard.reason === "garbage")).toBe(true);
        expect(run.loop.failures).toEqual([]);
      },
    );
  },
);

/**
 * Fault rates per command for the soak. The driver polls GenImg about 40 times a second,
 * and a lost or misaddressed reply costs a 2 s command timeout (a lost image upload
 * about 9 s), so those stay rare; damaged uploads and error codes cost little and come
 * often. A minute at these rates meets every kind, an unplug about once.
 */
const SOAK_FAULTS = [
  { kind: "unplug", durationMs: 800, instructions: ["GenImg"], probability: 0.0005 },
  { kind: "no-reply", probability: 0.0005 },
  { kind: "delay", ms: 2_500, probability: 0.0005 },
  { kind: "delay", ms: 400, probability: 0.003 },
  { kind: "wrong-address", address: 42, probability: 0.0005 },
  { kind: "error-code", code: "0x29", instructions: ["GenImg"], probability: 0.003 },
  { kind: "drop", bytes: 3, instructions: ["UpImage"], probability: 0.05 },
  { kind: "corrupt", bytes: 2, instructions: ["UpImage"], probability: 0.05 },
  { kind: "duplicate", bytes: 2, instructions: ["UpImage"], probability: 0.05 },
  { kind: "garbage", bytes: 24, probability: 0.01 },
].map((fault) => ({ ...fault, atCommand: from(12) }));

describe.runIf(SOAK && ptySkipReason === undefined)(
  "R30x driver over a real pseudo-terminal: random-fault soak (BASMA_SOAK=1)",
  () => {
    it(
      `keeps capturing correct images through ${SOAK_MS / 1_000} s of random faults`,
      { timeout: SOAK_MS + 30_000 },
      async () => {
        const started = performance.now();
        const run = await runWithFaults(SOAK_FAULTS, () => performance.now() - started > SOAK_MS, {
          seed: Number(process.env.BASMA_SOAK_SEED ?? 2024),
          limitMs: SOAK_MS + 5_000,
        });
        const { captures, failures } = run.loop;
        expect(captures.filter((capture) => capture.placement === undefined)).toHaveLength(0);
        // A traveller every 400 ms: at least a third of them captured despite the faults.
        expect(captures.length).toBeGreaterThan(SOAK_MS / 1_200);
        expect(captures.at(-1)?.at ?? 0).toBeGreaterThan(started + SOAK_MS - 10_000);
        expect(run.tap.discards.length).toBeGreaterThan(0);
        expect(failures.some((failure) => failure.deviceCode === 0x29)).toBe(true);
        // Every loss but one at the very end was followed by the sensor being ready again.
        const { statuses } = run;
        const unrecovered = statuses.filter(
          (entry, i) =>
            entry.status === "lost" &&
            entry.at < started + SOAK_MS - 5_000 &&
            !statuses.slice(i + 1).some((later) => later.status === "ready"),
        );
        expect(unrecovered).toEqual([]);
      },
    );
  },
);

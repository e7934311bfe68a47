import { setTimeout as sleep } from "node:timers/promises";
import { isAborted } from "../../drivers/link/abort.js";
import {
  isSensorError,
  type FingerprintSensor,
  type GreyImage,
  type SensorErrorKind,
} from "../../drivers/sensor.js";
import { byteDifference, quantised } from "./r30x-images.js";
import { linkExists } from "../../hardware-sim/r30x/pty-bridge.js";

export interface LoopCapture {
  /** performance.now() when the image was in memory. */
  readonly at: number;
  /** Which of the placed images it is, or undefined when it is none of them. */
  readonly placement: number | undefined;
}

export interface LoopFailure {
  readonly at: number;
  readonly kind: SensorErrorKind;
  readonly deviceCode: number | undefined;
  readonly message: string;
}

export interface CaptureLoop {
  readonly captures: readonly LoopCapture[];
  /** Every SensorError the loop caught, except idle waits in which no finger came. */
  readonly failures: readonly LoopFailure[];
  /** Resolves once the loop has ended after `signal` aborted. */
  readonly done: Promise<void>;
}

/**
 * One wait for a finger to arrive or leave (the agent idles 30 s at a time): longer
 * than a command's retransmissions, so a dead line surfaces as such, not as a timeout.
 */
const WAIT_MS = 10_000;
/** After a failure, so a device failing at once every time cannot spin the loop (the agent waits 1 s). */
const PAUSE_AFTER_FAILURE_MS = 50;

/**
 * The agent's capture loop, cut down: open() (which waits out reconnections), wait for
 * a finger, take its image, wait for it to go; any SensorError is noted and the loop
 * starts again at open(). Each image is compared with the `placements` that a
 * traveller may have put on the sensor.
 */
export function runCaptureLoop(
  sensor: FingerprintSensor,
  placements: readonly GreyImage[],
  signal: AbortSignal,
): CaptureLoop {
  const expected = placements.map(quantised);
  const captures: LoopCapture[] = [];
  const failures: LoopFailure[] = [];
  const identify = (pixels: Uint8Array): number | undefined => {
    const index = expected.findIndex((want) => byteDifference(pixels, want).mismatches === 0);
    return index < 0 ? undefined : index;
  };
  const loop = async (): Promise<void> => {
    while (!isAborted(signal)) {
      try {
        await sensor.open(signal);
        try {
          await sensor.waitForFinger({ signal, timeoutMs: WAIT_MS });
        } catch (error) {
          if (isSensorError(error, "timeout")) continue;
          throw error;
        }
        const image = await sensor.captureImage(signal);
        captures.push({ at: performance.now(), placement: identify(image.pixels) });
        await sensor.waitForFingerRemoved({ signal, timeoutMs: WAIT_MS });
      } catch (error) {
        if (isAborted(signal)) break;
        if (!isSensorError(error)) throw error;
        failures.push({
          at: performance.now(),
          kind: error.kind,
          deviceCode: error.deviceCode,
          message: error.message,
        });
        await sleep(PAUSE_AFTER_FAILURE_MS);
      }
    }
  };
  return { captures, failures, done: loop() };
}

export interface Traveller {
  stop(): Promise<void>;
}

/**
 * Puts the next of `placements` on the sensor for `onMs`, lifts it for `offMs`, and
 * so on until stopped, as a queue of travellers would.
 */
export function startTraveller(
  place: (image: GreyImage) => void,
  lift: () => void,
  placements: readonly GreyImage[],
  timing: { readonly onMs: number; readonly offMs: number },
): Traveller {
  const stopped = new AbortController();
  let count = 0;
  const run = async (): Promise<void> => {
    while (!stopped.signal.aborted) {
      const image = placements[count % placements.length];
      if (image) place(image);
      count++;
      await sleep(timing.onMs, undefined, { signal: stopped.signal }).catch(() => undefined);
      lift();
      await sleep(timing.offMs, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  };
  const done = run();
  return {
    stop: async () => {
      stopped.abort();
      await done;
    },
  };
}

export interface PathWatch {
  /** Every change of whether the path exists, with performance.now() times. */
  readonly changes: readonly { readonly exists: boolean; readonly at: number }[];
  stop(): Promise<void>;
}

/** Polls `path` every `intervalMs` and notes each time it appears or disappears. */
export function watchPath(path: string, intervalMs = 10): PathWatch {
  const stopped = new AbortController();
  const changes: { exists: boolean; at: number }[] = [];
  const run = async (): Promise<void> => {
    let last: boolean | undefined;
    while (!stopped.signal.aborted) {
      const exists = await linkExists(path);
      if (exists !== last) changes.push({ exists, at: performance.now() });
      last = exists;
      await sleep(intervalMs, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  };
  const done = run();
  return {
    changes,
    stop: async () => {
      stopped.abort();
      await done;
    },
  };
}

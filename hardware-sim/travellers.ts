import { setTimeout as sleep } from "node:timers/promises";
import type { GreyImage } from "../drivers/index.js";
import { renderPrint } from "./prints/render-print.js";
import { sensorForSize } from "./prints/sensor-profiles.js";
import { renderSimplePrint } from "./prints/simple-print.js";

/** Anything a simulated traveller can put a finger on. */
export interface FingerPlaten {
  readonly imageWidth: number;
  readonly imageHeight: number;
  placeFinger(image: GreyImage): void;
  liftFinger(): void;
}

export interface TravellerTiming {
  /** How long each finger rests on the sensor. */
  readonly dwellMs: number;
  /** Between lifting one finger and placing the next. */
  readonly betweenFingersMs: number;
  /** Between one traveller leaving and the next arriving. */
  readonly betweenTravellersMs: number;
}

export const DEFAULT_TRAVELLER_TIMING: TravellerTiming = {
  dwellMs: 1_200,
  betweenFingersMs: 800,
  betweenTravellersMs: 2_000,
};

/**
 * Simulated travellers, one after another, each placing the plan's fingers in turn.
 * Traveller n's finger p always has the same ridge pattern, as a real person's does.
 */
export async function runTravellers(
  platen: FingerPlaten,
  options: {
    fingers: readonly number[];
    timing: TravellerTiming;
    signal: AbortSignal;
    firstSeed?: number;
    onTraveller?: (n: number) => void;
    /**
     * "simple" (the default) draws the quick whorl-only print; "realistic" the
     * orientation-field generator, whose first print of each finger costs a few
     * hundred milliseconds.
     */
    prints?: "simple" | "realistic";
  },
): Promise<void> {
  const { timing, signal } = options;
  const render = printRenderer(platen, options.prints ?? "simple");
  for (let traveller = options.firstSeed ?? 1; !signal.aborted; traveller++) {
    options.onTraveller?.(traveller);
    for (const position of options.fingers) {
      platen.placeFinger(render(traveller, position));
      const placed = await pause(timing.dwellMs, signal);
      platen.liftFinger();
      if (!placed || !(await pause(timing.betweenFingersMs, signal))) return;
    }
    if (!(await pause(timing.betweenTravellersMs, signal))) return;
  }
}

function printRenderer(
  platen: FingerPlaten,
  prints: "simple" | "realistic",
): (seed: number, position: number) => GreyImage {
  const { imageWidth: width, imageHeight: height } = platen;
  if (prints === "simple") {
    return (seed, position) => renderSimplePrint({ seed, position, width, height });
  }
  const sensor = sensorForSize(width, height);
  if (sensor === undefined) {
    throw new RangeError(`no realistic sensor profile takes ${width}x${height} images`);
  }
  return (seed, position) => renderPrint({ seed, position, sensor });
}

/** False when aborted instead of elapsed. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

import { smoothNoise } from "./noise-field.js";
import type { Prng } from "./prng.js";

/** Henry classes as used by NIST (SD4): the five a synthetic finger is drawn from. */
export type FingerClass = "arch" | "tented-arch" | "left-loop" | "right-loop" | "whorl";

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Where the fingertip lies on a master canvas, and its singular points. */
export interface FingertipLayout {
  readonly fingerClass: FingerClass;
  readonly centreX: number;
  readonly centreY: number;
  /** Half-axes of the fingertip's contact ellipse, pixels at 500 ppi. */
  readonly halfWidth: number;
  readonly halfHeight: number;
  readonly cores: readonly Point[];
  readonly deltas: readonly Point[];
}

/**
 * Class frequencies per finger, after the natural distribution in NIST SD4 and the
 * dactyloscopy literature: on each hand most loops are ulnar (opening towards the
 * little finger), which shows as right loops on the right hand and left loops on the
 * left; whorls are commonest on thumbs and ring fingers, arches on index fingers.
 * Order: arch, tented arch, left loop, right loop, whorl.
 */
const CLASS_WEIGHTS: Readonly<Record<number, readonly number[]>> = {
  1: [0.02, 0.01, 0.05, 0.5, 0.42],
  2: [0.08, 0.08, 0.2, 0.36, 0.28],
  3: [0.04, 0.03, 0.05, 0.66, 0.22],
  4: [0.02, 0.02, 0.04, 0.47, 0.45],
  5: [0.02, 0.01, 0.02, 0.8, 0.15],
};
const CLASSES: readonly FingerClass[] = ["arch", "tented-arch", "left-loop", "right-loop", "whorl"];

/** Fingertip half-axes by finger (thumb, index, middle, ring, little), pixels at 500 ppi. */
const HALF_AXES: readonly (readonly [number, number])[] = [
  [165, 215],
  [148, 198],
  [150, 205],
  [142, 195],
  [124, 168],
];

/** 1..5 for the thumb..little finger of either hand. */
export function fingerOfHand(position: number): number {
  return ((position - 1) % 5) + 1;
}

export function chooseFingerClass(position: number, random: Prng): FingerClass {
  const finger = fingerOfHand(position);
  const leftHand = position > 5;
  const weights = CLASS_WEIGHTS[finger] ?? CLASS_WEIGHTS[2] ?? [];
  let draw = random();
  for (let i = 0; i < CLASSES.length; i++) {
    draw -= weights[i] ?? 0;
    if (draw < 0 || i === CLASSES.length - 1) {
      const chosen = CLASSES[i] ?? "whorl";
      // The left hand is the right hand's mirror image.
      if (leftHand && chosen === "left-loop") return "right-loop";
      if (leftHand && chosen === "right-loop") return "left-loop";
      return chosen;
    }
  }
  return "whorl";
}

export function fingertipSize(position: number): { halfWidth: number; halfHeight: number } {
  const [halfWidth, halfHeight] = HALF_AXES[fingerOfHand(position) - 1] ?? [148, 198];
  return { halfWidth, halfHeight };
}

function jitter(random: Prng, spread: number): number {
  return (random() * 2 - 1) * spread;
}

/** Places the singular points of a class on a fingertip centred at (cx, cy). */
export function layoutFingertip(
  fingerClass: FingerClass,
  centreX: number,
  centreY: number,
  halfWidth: number,
  halfHeight: number,
  random: Prng,
): FingertipLayout {
  const cx = centreX + jitter(random, 0.12 * halfWidth);
  const cy = centreY - 0.12 * halfHeight + jitter(random, 0.1 * halfHeight);
  const deltaDrop = halfHeight * (0.42 + 0.15 * random());
  const deltaSide = halfWidth * (0.5 + 0.2 * random());
  let cores: Point[] = [];
  let deltas: Point[] = [];
  switch (fingerClass) {
    case "arch":
      break;
    case "tented-arch":
      cores = [{ x: cx, y: cy }];
      deltas = [{ x: cx + jitter(random, 8), y: cy + halfHeight * (0.22 + 0.1 * random()) }];
      break;
    case "left-loop":
      cores = [{ x: cx, y: cy }];
      deltas = [{ x: cx + deltaSide, y: cy + deltaDrop }];
      break;
    case "right-loop":
      cores = [{ x: cx, y: cy }];
      deltas = [{ x: cx - deltaSide, y: cy + deltaDrop }];
      break;
    case "whorl": {
      const gap = 14 + 22 * random();
      const lean = jitter(random, 0.6);
      cores = [
        { x: cx - (gap / 2) * Math.sin(lean), y: cy - (gap / 2) * Math.cos(lean) },
        { x: cx + (gap / 2) * Math.sin(lean), y: cy + (gap / 2) * Math.cos(lean) },
      ];
      deltas = [
        { x: cx - deltaSide, y: cy + deltaDrop + jitter(random, 15) },
        { x: cx + deltaSide, y: cy + deltaDrop + jitter(random, 15) },
      ];
      break;
    }
  }
  return { fingerClass, centreX, centreY, halfWidth, halfHeight, cores, deltas };
}

/**
 * Ridge direction (radians, modulo π, image axes with y down) at every pixel of a
 * width x height canvas.
 *
 * Singular fingers use the zero-pole model of Sherlock and Monro: each core adds half
 * its argument and each delta subtracts half (y pointing down), so the ridges turn by
 * π around a core and by -π around a delta. Arches have no singular points; their ridges follow bumps
 * y = y0 - A·exp(-u²) that flatten towards the base of the fingertip. A smooth random
 * perturbation keeps the flow from looking like a textbook diagram.
 */
export function orientationField(
  layout: FingertipLayout,
  width: number,
  height: number,
  random: Prng,
): Float32Array {
  const field = new Float32Array(width * height);
  const wobble = smoothNoise(width, height, 110, random);
  const wobbleAmplitude = 0.08 + 0.06 * random();
  const archWidth = layout.halfWidth * (0.55 + 0.2 * random());
  const archHeight = layout.halfHeight * (0.35 + 0.2 * random());
  const singular = layout.cores.length > 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let angle: number;
      if (singular) {
        angle = 0;
        for (const core of layout.cores) angle += 0.5 * Math.atan2(y - core.y, x - core.x);
        for (const delta of layout.deltas) angle -= 0.5 * Math.atan2(y - delta.y, x - delta.x);
      } else {
        const u = (x - layout.centreX) / archWidth;
        // Ridges arch most across the middle of the pad and lie flat near its base.
        const rise = (layout.centreY + layout.halfHeight - y) / (2 * layout.halfHeight);
        const amplitude = archHeight * Math.min(1, Math.max(0.15, rise * 1.4));
        angle = Math.atan(((amplitude * 2 * u) / archWidth) * Math.exp(-u * u));
      }
      const i = y * width + x;
      field[i] = angle + wobbleAmplitude * (wobble[i] ?? 0);
    }
  }
  return field;
}

import { DEGRADING_CLASSES } from "../../agent/quality/quality-model.js";
import type { ImpressionLayers } from "./impression.js";
import type { MasterPrint } from "./master-print.js";
import { blurInPlace, gaussian, motionBlur, rampBetween, smoothNoise } from "./noise-field.js";
import { mixSeeds, mulberry32, type Prng } from "./prng.js";

/** The conditions a print can be rendered with, each at a severity 0..1: the quality model's. */
export const CONDITION_KINDS = DEGRADING_CLASSES;
export type ConditionKind = (typeof CONDITION_KINDS)[number];

export interface PrintCondition {
  readonly kind: ConditionKind;
  /** 0 has no effect, 1 is as bad as the condition gets. */
  readonly severity: number;
}

export function isConditionKind(kind: string): kind is ConditionKind {
  return (CONDITION_KINDS as readonly string[]).includes(kind);
}

/** Severity per kind (0 where absent); a kind listed twice takes the larger severity. */
export type Severities = Readonly<Record<ConditionKind, number>>;

export function severities(conditions: readonly PrintCondition[]): Severities {
  const result = Object.fromEntries(CONDITION_KINDS.map((kind) => [kind, 0])) as Record<
    ConditionKind,
    number
  >;
  for (const { kind, severity } of conditions) {
    if (!isConditionKind(kind)) throw new RangeError(`unknown print condition "${String(kind)}"`);
    if (!(severity >= 0 && severity <= 1)) {
      throw new RangeError(`${kind} severity must be from 0 to 1, got ${severity}`);
    }
    result[kind] = Math.max(result[kind], severity);
  }
  return result;
}

/**
 * Each condition draws its random fields from its own stream, seeded by the capture and
 * the kind only: raising one severity, or adding another condition, then changes how
 * strong an effect is but never where its blobs, breaks or creases fall.
 */
export function conditionRandom(captureSeed: number, kind: ConditionKind): Prng {
  return mulberry32(mixSeeds(captureSeed, CONDITION_KINDS.indexOf(kind), 0x636e));
}

/** How the conditions change the way the finger is put down. */
export interface PlacementChange {
  readonly pressure: number;
  readonly contactScale: number;
  /** Shift of the whole placement, as fractions of the image width and height. */
  readonly shiftX: number;
  readonly shiftY: number;
}

export function placementChange(s: Severities, captureSeed: number): PlacementChange {
  const random = conditionRandom(captureSeed, "partial");
  const direction = random() * 2 * Math.PI;
  const offCentre = 0.4 * s.partial;
  return {
    pressure: 1.2 * (s["heavy-pressure"] - s["light-pressure"]),
    contactScale:
      (1 - 0.45 * s.partial) * (1 - 0.35 * s["light-pressure"]) * (1 + 0.1 * s["heavy-pressure"]),
    shiftX: offCentre * Math.cos(direction),
    shiftY: offCentre * Math.sin(direction),
  };
}

/**
 * Turns relief and contact into ink, 0 (bright, no contact) .. 1 (black), with what
 * the skin brings to the glass: water and grease fill the valleys and leave dark
 * blobs, dry skin touches only in places, worn ridges are low and interrupted by creases.
 */
export function inkWithSkin(
  layers: ImpressionLayers,
  s: Severities,
  captureSeed: number,
): Float32Array {
  const { width, height, contact, pressure } = layers;
  let relief = layers.relief;
  const size = width * height;
  const ink = new Float32Array(size);
  // Blurring the lattice noise rounds off its blocky cells into blob-like drops.
  const field = (kind: ConditionKind, cell: number): Float32Array => {
    const noise = smoothNoise(width, height, cell, conditionRandom(captureSeed, kind));
    blurInPlace(noise, width, height, Math.round(cell / 8));
    return noise;
  };

  if (s.oily > 0) {
    // Grease smears the relief itself, so neighbouring ridges run together.
    relief = Float32Array.from(relief);
    blurInPlace(relief, width, height, Math.round(2 * s.oily));
  }
  const wetBlobs = s.wet > 0 ? field("wet", 34) : undefined;
  const oilPatches = s.oily > 0 ? field("oily", 22) : undefined;
  const dryBreaks = s.dry > 0 ? field("dry", 7) : undefined;
  const wornGaps = s.worn > 0 ? field("worn", 12) : undefined;
  const creases =
    s.worn > 0 ? creaseField(width, height, conditionRandom(captureSeed, "worn")) : undefined;
  const flatten = 1 - 0.55 * s.worn;
  const fill = 0.55 * s.wet + 0.3 * s.oily - 0.3 * s.dry - 0.15 * s.worn;
  const strength = (1 - 0.65 * s.dry) * (1 - 0.35 * s.worn);

  for (let i = 0; i < size; i++) {
    const touch = (contact[i] ?? 0) * (1 - s["no-finger"]);
    if (touch <= 0) continue;
    const bias = (pressure[i] ?? 0) + fill;
    let value = rampBetween(-0.4 - bias, 0.4 - bias, flatten * (relief[i] ?? 0));
    // Valleys fill first: the wetter, the more of the valley floor turns dark.
    value += (1 - value) * 0.5 * s.wet;
    if (wetBlobs)
      value = Math.max(
        value,
        rampBetween(0.95 - 0.75 * s.wet, 1.05 - 0.75 * s.wet, wetBlobs[i] ?? 0),
      );
    if (oilPatches)
      value = Math.max(
        value,
        0.7 * rampBetween(0.9 - 0.6 * s.oily, 1 - 0.6 * s.oily, oilPatches[i] ?? 0),
      );
    if (dryBreaks)
      value *= 1 - s.dry * rampBetween(0.4 - 0.9 * s.dry, 0.6 - 0.9 * s.dry, dryBreaks[i] ?? 0);
    if (wornGaps)
      value *=
        1 - 0.8 * s.worn * rampBetween(0.6 - 0.8 * s.worn, 0.8 - 0.8 * s.worn, wornGaps[i] ?? 0);
    if (creases) value *= 1 - s.worn * (creases[i] ?? 0);
    ink[i] = value * strength * touch;
  }
  return ink;
}

/**
 * Creases of ageing skin: thin, roughly horizontal white lines across the pad, a
 * couple of pixels wide, where the skin folds and never touches the glass.
 */
function creaseField(width: number, height: number, random: Prng): Float32Array {
  const field = new Float32Array(width * height);
  const count = 3 + Math.floor(random() * 4) + Math.round((width * height) / 150_000);
  for (let c = 0; c < count; c++) {
    const angle = (random() - 0.5) * 0.8;
    const px = random() * width;
    const py = random() * height;
    const halfWidth = 0.8 + 1.2 * random();
    const nx = -Math.sin(angle);
    const ny = Math.cos(angle);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const distance = Math.abs((x - px) * nx + (y - py) * ny);
        if (distance < halfWidth + 1) {
          const i = y * width + x;
          field[i] = Math.max(field[i] ?? 0, rampBetween(halfWidth + 1, halfWidth, distance));
        }
      }
    }
  }
  return field;
}

/** The finger moving while the sensor integrates: a smear along one direction. */
export function smudge(
  ink: Float32Array,
  width: number,
  height: number,
  s: Severities,
  captureSeed: number,
): Float32Array {
  if (s.smudge <= 0) return ink;
  const random = conditionRandom(captureSeed, "smudge");
  const direction = random() * Math.PI;
  return motionBlur(
    ink,
    width,
    height,
    Math.cos(direction),
    Math.sin(direction),
    1 + 16 * s.smudge,
  );
}

/**
 * Ink of a previous traveller's finger left on the platen: the glass shows it wherever
 * the present finger does not cover it. It is the same master turned half around and
 * moved, which no one would recognise as the present finger.
 */
export function latentGhost(
  master: MasterPrint,
  width: number,
  height: number,
  s: Severities,
  captureSeed: number,
): Float32Array | undefined {
  if (s.latent <= 0) return undefined;
  const random = conditionRandom(captureSeed, "latent");
  const angle = 2 + random();
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = width * (0.35 + 0.3 * random());
  const cy = height * (0.35 + 0.3 * random());
  const patchiness = smoothNoise(width, height, 30, random);
  const ghost = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x - cx;
      const v = y - cy;
      const mx = Math.round(master.centreX + cos * u + sin * v);
      const my = Math.round(master.centreY - sin * u + cos * v);
      if (mx < 0 || my < 0 || mx >= master.width || my >= master.height) continue;
      const ex = (mx - master.centreX) / master.halfWidth;
      const ey = (my - master.centreY) / master.halfHeight;
      const i = y * width + x;
      const residue =
        rampBetween(1, 0.8, Math.sqrt(ex * ex + ey * ey)) * (0.6 + 0.4 * (patchiness[i] ?? 0));
      ghost[i] = Math.max(0, master.ridges[my * master.width + mx] ?? 0) * residue * 0.4 * s.latent;
    }
  }
  return ghost;
}

/** Extra noise beyond the sensor's own: electrical interference, dust on the glass. */
export function conditionNoise(grey: Float32Array, s: Severities, captureSeed: number): void {
  if (s.noise <= 0) return;
  const random = conditionRandom(captureSeed, "noise");
  const sigma = 22 * s.noise;
  for (let i = 0; i < grey.length; i++) grey[i] = (grey[i] ?? 0) + sigma * gaussian(random);
}

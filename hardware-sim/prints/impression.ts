import type { MasterPrint } from "./master-print.js";
import { rampBetween, smoothNoise } from "./noise-field.js";
import { mixSeeds, mulberry32 } from "./prng.js";

/** Where and how one impression of a finger lands on the glass. */
export interface ImpressionPose {
  /** Where the fingertip's centre lands, in image pixels. */
  readonly centreX: number;
  readonly centreY: number;
  /** Rotation of the finger on the glass, radians. */
  readonly angle: number;
  /** -1 barely touching .. 0 normal .. 1 pressed hard: ridge thickness and contact area. */
  readonly pressure: number;
  /** Multiplies the contact ellipse, for placements that touch less than the whole pad. */
  readonly contactScale: number;
  /** Peak skin displacement at the edge of the contact, pixels. */
  readonly distortionPx: number;
  /** Draws the distortion field, so that the same impression distorts the same way. */
  readonly distortionSeed: number;
}

/** One or more fingers as the glass sees them, before skin and sensor conditions. */
export interface ImpressionLayers {
  readonly width: number;
  readonly height: number;
  /** Master relief under each pixel (-1 valley .. 1 ridge). */
  readonly relief: Float32Array;
  /** How firmly skin touches the glass there, 0..1. */
  readonly contact: Float32Array;
  /** Ridge thickness bias per pixel, from the pressure of the finger covering it. */
  readonly pressure: Float32Array;
}

export function emptyLayers(width: number, height: number): ImpressionLayers {
  return {
    width,
    height,
    relief: new Float32Array(width * height),
    contact: new Float32Array(width * height),
    pressure: new Float32Array(width * height),
  };
}

/**
 * The natural variation between two placements of the same finger: a few pixels of
 * shift, a few degrees of rotation, a little more or less pressure, and a different
 * elastic stretch of the skin. Impression 0 is as likely as any other.
 */
export function impressionPose(
  seed: number,
  position: number,
  impression: number,
  placement: { centreX: number; centreY: number; angle: number },
): ImpressionPose {
  const random = mulberry32(mixSeeds(seed, position, impression, 0x696d));
  const spread = (limit: number): number => (random() * 2 - 1) * limit;
  return {
    centreX: placement.centreX + spread(16),
    centreY: placement.centreY + spread(16),
    angle: placement.angle + spread((4 * Math.PI) / 180),
    pressure: spread(0.25),
    contactScale: 1,
    distortionPx: 1.5 + 2 * random(),
    distortionSeed: mixSeeds(seed, position, impression, 0x6473),
  };
}

/** The coarse grid step of the distortion field; the field varies over about 100 pixels. */
const DISTORTION_STEP = 8;

/**
 * Draws one finger into `layers`, sampling the master through the pose: rotation and
 * shift, then an elastic displacement that is zero near the centre of contact and
 * grows towards its edge, where skin slides on the glass (Cappelli's plastic
 * distortion model in spirit). Where fingers overlap the firmer contact wins.
 */
export function drawImpression(
  master: MasterPrint,
  pose: ImpressionPose,
  layers: ImpressionLayers,
): void {
  const { width, height, relief, contact, pressure } = layers;
  const random = mulberry32(pose.distortionSeed);
  const gridWidth = Math.ceil(master.width / DISTORTION_STEP) + 2;
  const gridHeight = Math.ceil(master.height / DISTORTION_STEP) + 2;
  const shiftX = smoothNoise(gridWidth, gridHeight, 100 / DISTORTION_STEP, random);
  const shiftY = smoothNoise(gridWidth, gridHeight, 100 / DISTORTION_STEP, random);
  const outline = smoothNoise(gridWidth, gridHeight, 60 / DISTORTION_STEP, random);
  const grid = (field: Float32Array, gx: number, gy: number): number => {
    const x0 = Math.floor(gx);
    const y0 = Math.floor(gy);
    const tx = gx - x0;
    const ty = gy - y0;
    const i = y0 * gridWidth + x0;
    const top = (field[i] ?? 0) * (1 - tx) + (field[i + 1] ?? 0) * tx;
    const bottom = (field[i + gridWidth] ?? 0) * (1 - tx) + (field[i + gridWidth + 1] ?? 0) * tx;
    return top * (1 - ty) + bottom * ty;
  };

  const cos = Math.cos(pose.angle);
  const sin = Math.sin(pose.angle);
  const contactScale = pose.contactScale * (0.92 + 0.08 * pose.pressure);
  const rx = master.halfWidth * contactScale;
  const ry = master.halfHeight * contactScale;
  const reach = Math.max(rx, ry) + 4;
  const x0 = Math.max(0, Math.floor(pose.centreX - reach));
  const x1 = Math.min(width - 1, Math.ceil(pose.centreX + reach));
  const y0 = Math.max(0, Math.floor(pose.centreY - reach));
  const y1 = Math.min(height - 1, Math.ceil(pose.centreY + reach));
  const bias = 0.25 * pose.pressure;
  const { ridges } = master;
  const masterWidth = master.width;

  for (let y = y0; y <= y1; y++) {
    const v = y - pose.centreY;
    for (let x = x0; x <= x1; x++) {
      const u = x - pose.centreX;
      // Into the finger's own frame: undo the rotation.
      const fx = cos * u + sin * v;
      const fy = -sin * u + cos * v;
      const ex = fx / rx;
      const ey = fy / ry;
      const gx = (master.centreX + fx) / DISTORTION_STEP;
      const gy = (master.centreY + fy) / DISTORTION_STEP;
      const radius = Math.sqrt(ex * ex + ey * ey) * (1 + 0.06 * grid(outline, gx, gy));
      if (radius >= 1) continue;
      const touch = rampBetween(1, 0.86, radius);
      const i = y * width + x;
      if (touch <= (contact[i] ?? 0)) continue;
      const slide = pose.distortionPx * rampBetween(0.35, 1, radius);
      const mx = master.centreX + fx + slide * grid(shiftX, gx, gy);
      const my = master.centreY + fy + slide * grid(shiftY, gx, gy);
      const ix = Math.floor(mx);
      const iy = Math.floor(my);
      if (ix < 0 || iy < 0 || ix >= masterWidth - 1 || iy >= master.height - 1) continue;
      const tx = mx - ix;
      const ty = my - iy;
      const m = iy * masterWidth + ix;
      const top = (ridges[m] ?? 0) * (1 - tx) + (ridges[m + 1] ?? 0) * tx;
      const bottom =
        (ridges[m + masterWidth] ?? 0) * (1 - tx) + (ridges[m + masterWidth + 1] ?? 0) * tx;
      relief[i] = top * (1 - ty) + bottom * ty;
      contact[i] = touch;
      pressure[i] = bias;
    }
  }
}

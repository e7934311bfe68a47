import type { Prng } from "./prng.js";

/**
 * Smooth random fields and blurs shared by the print generator: the slowly varying
 * quantities of a finger (ridge spacing, skin moisture, distortion) are all "noise
 * with a feature size", and every blur is a repeated box blur because three box
 * passes approximate a Gaussian at a cost independent of the radius.
 */

/**
 * Value noise on a coarse lattice (one node every `cell` pixels), bicubically
 * smoothed: values in [-1, 1] that change over about `cell` pixels.
 */
export function smoothNoise(
  width: number,
  height: number,
  cell: number,
  random: Prng,
): Float32Array {
  const columns = Math.ceil(width / cell) + 3;
  const rows = Math.ceil(height / cell) + 3;
  const lattice = new Float32Array(columns * rows);
  for (let i = 0; i < lattice.length; i++) lattice[i] = random() * 2 - 1;
  const field = new Float32Array(width * height);
  const at = (cx: number, cy: number): number => lattice[cy * columns + cx] ?? 0;
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const cy = Math.floor(gy);
    const ty = smoothstep(gy - cy);
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const cx = Math.floor(gx);
      const tx = smoothstep(gx - cx);
      const top = at(cx, cy) + (at(cx + 1, cy) - at(cx, cy)) * tx;
      const bottom = at(cx, cy + 1) + (at(cx + 1, cy + 1) - at(cx, cy + 1)) * tx;
      field[y * width + x] = top + (bottom - top) * ty;
    }
  }
  return field;
}

function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Hermite step from 0 at `edge0` to 1 at `edge1`, clamped outside. */
export function rampBetween(edge0: number, edge1: number, value: number): number {
  const t = Math.min(1, Math.max(0, (value - edge0) / (edge1 - edge0)));
  return smoothstep(t);
}

/**
 * One box pass of half-width `radius` along every line of a field, edges clamped:
 * rows when `step` is 1 and lines are `width` apart, columns when the strides swap.
 */
function boxPass(
  source: Float32Array,
  target: Float32Array,
  lines: number,
  length: number,
  lineStride: number,
  step: number,
  radius: number,
): void {
  const span = 2 * radius + 1;
  for (let line = 0; line < lines; line++) {
    const base = line * lineStride;
    const at = (i: number): number => source[base + clampIndex(i, length) * step] ?? 0;
    let sum = 0;
    for (let k = -radius; k <= radius; k++) sum += at(k);
    for (let i = 0; i < length; i++) {
      target[base + i * step] = sum / span;
      sum += at(i + radius + 1) - at(i - radius);
    }
  }
}

function clampIndex(index: number, length: number): number {
  return index < 0 ? 0 : index >= length ? length - 1 : index;
}

/** Near-Gaussian blur (three box passes each way) in place; radius 0 leaves the field as it is. */
export function blurInPlace(
  field: Float32Array,
  width: number,
  height: number,
  radius: number,
): void {
  if (radius <= 0) return;
  const scratch = new Float32Array(field.length);
  for (let pass = 0; pass < 3; pass++) {
    boxPass(field, scratch, height, width, width, 1, radius);
    boxPass(scratch, field, width, height, 1, width, radius);
  }
}

/**
 * Averages each pixel with its neighbours along (dx, dy) over `length` pixels: a finger
 * dragged across the glass while the sensor integrates.
 */
export function motionBlur(
  field: Float32Array,
  width: number,
  height: number,
  dx: number,
  dy: number,
  length: number,
): Float32Array {
  const taps = Math.max(1, Math.round(length));
  if (taps === 1) return field;
  const out = new Float32Array(field.length);
  const offsets: number[] = [];
  for (let t = 0; t < taps; t++) offsets.push(t - (taps - 1) / 2);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (const offset of offsets) {
        const sx = clampIndex(Math.round(x + dx * offset), width);
        const sy = clampIndex(Math.round(y + dy * offset), height);
        sum += field[sy * width + sx] ?? 0;
      }
      out[y * width + x] = sum / taps;
    }
  }
  return out;
}

/** Standard normal deviate (Box-Muller; one of the pair is enough here). */
export function gaussian(random: Prng): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

import { describe, expect, it } from "vitest";
import {
  SLANTED_WINDOW,
  gradientCovariance,
  slantedGridSize,
  type SlantedBlockGrid,
} from "../../agent/quality/iso29794/block-geometry.js";
import { blockCovariances } from "../../agent/quality/iso29794/block-gradients.js";
import type { Plane } from "../../agent/quality/iso29794/prepare.js";
import { keepLargestDarkArea } from "../../agent/quality/iso29794/roi-components.js";
import { sampleGridBlock, slantedSamples } from "../../agent/quality/iso29794/slanted-block.js";
import { erodeHalved, toWordImage } from "../../agent/quality/iso29794/word-image.js";
import { nistReferenceImagePath, readPgm } from "../../hardware-sim/prints/pgm.js";

// The fast paths of the measures (four pixels per word, shared row sums, run-length
// components, unchecked lookups) against the plain definitions they replace.

/** A deterministic stream in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  };
}

function randomPlane(width: number, height: number, seed: number): Plane {
  const next = random(seed);
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(next() * 256);
  return { width, height, pixels };
}

const nist = readPgm(nistReferenceImagePath("SFinGe_Test02.pgm"));
const nistPlane: Plane = { width: nist.width, height: nist.height, pixels: nist.pixels };

describe("erodeHalved", () => {
  it.each([
    [96, 96],
    [97, 101],
    [130, 99],
    [203, 117],
  ])("is the 5x5 minimum of the halved pixels at %ix%i", (width, height) => {
    const { pixels } = randomPlane(width, height, width * height);
    const eroded = erodeHalved(toWordImage(pixels, width, height));
    const stride = eroded.wordsPerRow * 4;
    let mismatches = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let min = 255;
        for (let v = Math.max(0, y - 2); v <= Math.min(height - 1, y + 2); v++) {
          for (let u = Math.max(0, x - 2); u <= Math.min(width - 1, x + 2); u++) {
            min = Math.min(min, pixels[v * width + u] ?? 255);
          }
        }
        if (eroded.bytes[y * stride + x] !== min >> 1) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
});

describe("blockCovariances", () => {
  it.each([
    ["NIST SFinGe_Test02", nistPlane],
    ["noise 203x170", randomPlane(203, 170, 7)],
  ])("equals the per-block covariance exactly on %s", (_name, plane) => {
    const grids = blockCovariances(
      plane,
      toWordImage(plane.pixels, plane.width, plane.height),
      slantedGridSize(plane),
    );
    const expected = new Float64Array(3);
    for (const grid of [grids.corner, grids.inset]) {
      expect(grid.columns * grid.rows).toBeGreaterThan(0);
      for (let row = 0; row < grid.rows; row++) {
        for (let column = 0; column < grid.columns; column++) {
          const left = grid.offset + 32 * column;
          const top = grid.offset + 32 * row;
          gradientCovariance(plane, left, top, 32, 32, expected);
          const at = 3 * (row * grid.columns + column);
          expect([...grid.values.subarray(at, at + 3)]).toEqual([...expected]);
        }
      }
    }
  });
});

/** The clean-up by flood fill, as NFIQ 2 describes it. */
function floodReference(dark: Uint8Array, columns: number, rows: number): Uint8Array {
  const stride = columns + 2;
  const filled = dark.slice();
  const components = (value: number): { cells: number[]; edge: boolean; box: number }[] => {
    const seen = new Uint8Array(dark.length);
    const found = [];
    for (let j = 1; j <= rows; j++) {
      for (let i = 1; i <= columns; i++) {
        if (seen[j * stride + i] === 1 || filled[j * stride + i] !== value) continue;
        const cells = [j * stride + i];
        seen[j * stride + i] = 1;
        for (let head = 0; head < cells.length; head++) {
          const at = cells[head] ?? 0;
          for (const next of [at - 1, at + 1, at - stride, at + stride]) {
            const x = next % stride;
            const y = Math.floor(next / stride);
            if (x < 1 || x > columns || y < 1 || y > rows) continue;
            if (seen[next] === 1 || filled[next] !== value) continue;
            seen[next] = 1;
            cells.push(next);
          }
        }
        const xs = cells.map((at) => at % stride);
        const ys = cells.map((at) => Math.floor(at / stride));
        const [minX, maxX] = [Math.min(...xs), Math.max(...xs)];
        const [minY, maxY] = [Math.min(...ys), Math.max(...ys)];
        const edge = minX === 1 || minY === 1 || maxX === columns || maxY === rows;
        found.push({ cells, edge, box: (maxX - minX + 1) * (maxY - minY + 1) });
      }
    }
    return found;
  };
  for (const hole of components(0)) {
    if (!hole.edge) for (const at of hole.cells) filled[at] = 1;
  }
  let kept: number[] = [];
  let largest = 0;
  for (const area of components(1)) {
    if (area.box > largest) {
      largest = area.box;
      kept = area.cells;
    }
  }
  const keep = new Uint8Array(dark.length);
  for (const at of kept) keep[at] = 1;
  for (let j = 0; j < rows + 2; j++) {
    const inner = Math.min(rows, Math.max(1, j)) * stride;
    keep[j * stride] = keep[inner + 1] ?? 0;
    keep[j * stride + columns + 1] = keep[inner + columns] ?? 0;
  }
  for (let i = 0; i < stride; i++) {
    keep[i] = keep[stride + i] ?? 0;
    keep[(rows + 1) * stride + i] = keep[rows * stride + i] ?? 0;
  }
  return keep;
}

describe("keepLargestDarkArea", () => {
  it("keeps what a flood fill keeps, on random grids of every density", () => {
    const next = random(3);
    for (let trial = 0; trial < 400; trial++) {
      const columns = 1 + Math.floor(next() * 40);
      const rows = 1 + Math.floor(next() * 40);
      const density = next();
      const dark = new Uint8Array((columns + 2) * (rows + 2));
      for (let i = 0; i < dark.length; i++) dark[i] = next() < density ? 1 : 0;
      expect(keepLargestDarkArea(dark, columns, rows)).toEqual(floodReference(dark, columns, rows));
    }
  });
});

/** NFIQ 2's getRotatedBlock and crop, every sample bounds-checked (zero outside). */
function slantedReference(
  plane: Plane,
  left: number,
  top: number,
  angle: number,
  shape: { pad: boolean; rows: number; columns: number },
): number[] {
  const roundHalfEven = (v: number): number => {
    const r = Math.round(v);
    return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  };
  const border = shape.pad ? 2 : 0;
  const source = SLANTED_WINDOW + 2 * border;
  const centre = source / 2;
  const radians = angle * (180 / Math.PI) * (Math.PI / 180);
  const [alpha, beta] = [Math.cos(radians), Math.sin(radians)];
  const m02 = (1 - alpha) * centre - beta * centre;
  const m12 = beta * centre + (1 - alpha) * centre;
  const det = alpha * alpha + beta * beta;
  const [i00, i01, i10, i11] = [alpha / det, -beta / det, beta / det, alpha / det];
  const i02 = -(i00 * m02 + i01 * m12);
  const i12 = -(i10 * m02 + i11 * m12);
  const out = [];
  for (let r = 0; r < shape.rows; r++) {
    const y = SLANTED_WINDOW / 2 - shape.rows / 2 + r;
    for (let c = 0; c < shape.columns; c++) {
      const x = SLANTED_WINDOW / 2 - shape.columns / 2 + c;
      const sx =
        (roundHalfEven((i01 * y + i02) * 1024) + 512 + roundHalfEven(i00 * x * 1024)) >> 10;
      const sy =
        (roundHalfEven((i11 * y + i12) * 1024) + 512 + roundHalfEven(i10 * x * 1024)) >> 10;
      const ix = left - border + sx;
      const iy = top - border + sy;
      const inside = sx >= 0 && sy >= 0 && sx < source && sy < source;
      const onImage = ix >= 0 && iy >= 0 && ix < plane.width && iy < plane.height;
      out.push(inside && onImage ? (plane.pixels[iy * plane.width + ix] ?? 0) : 0);
    }
  }
  return out;
}

describe("sampleGridBlock", () => {
  it("reads what the bounds-checked lookup reads, at the edges and inside", () => {
    const plane = randomPlane(150, 140, 11);
    const next = random(5);
    const samples = slantedSamples();
    for (let trial = 0; trial < 300; trial++) {
      // Windows at both edges, straddling them, and inside.
      const left = [0, 1, 40, 150 - SLANTED_WINDOW, 150 - SLANTED_WINDOW + 3][trial % 5] ?? 0;
      const top = [0, 2, 50, 140 - SLANTED_WINDOW, 140 - 20][Math.floor(trial / 5) % 5] ?? 0;
      const angle = (next() - 0.5) * Math.PI;
      const grid = {
        windowLeft: Int32Array.of(left),
        windowTop: Int32Array.of(top),
        orientation: Float64Array.of(angle),
      } as unknown as SlantedBlockGrid;
      for (const shape of [
        { pad: false, rows: 16, columns: 32 },
        { pad: true, rows: 16, columns: 32 },
        { pad: true, rows: 32, columns: 16, turn: Math.PI / 2 },
      ]) {
        const expected = slantedReference(plane, left, top, angle + (shape.turn ?? 0), shape);
        sampleGridBlock(plane, grid, 0, shape, "columns", true, samples);
        expect([...samples.block.subarray(0, expected.length)]).toEqual(expected);
        const columnSums = Array.from({ length: shape.columns }, (_, c) =>
          expected.filter((_v, i) => i % shape.columns === c).reduce((a, b) => a + b, 0),
        );
        expect([...samples.columnSums.subarray(0, shape.columns)]).toEqual(columnSums);
        sampleGridBlock(plane, grid, 0, shape, "rows", false, samples);
        const rowSums = Array.from({ length: shape.rows }, (_, r) =>
          expected.slice(r * shape.columns, (r + 1) * shape.columns).reduce((a, b) => a + b, 0),
        );
        expect([...samples.rowSums.subarray(0, shape.rows)]).toEqual(rowSums);
      }
    }
  });
});

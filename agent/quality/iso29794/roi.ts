import type { Plane } from "./prepare.js";

/** NFIQ 2 ImgProcROIFeature: 5x5 erosion brings out ridge detail before blurring. */
const ERODE_SIZE = 5;
/** First blur: 41x41 Gaussian, OpenCV's default sigma for that size. */
const FIRST_BLUR = 41;
/** Second blur: 91x91 Gaussian, smoothing the first binarisation into one finger area. */
const SECOND_BLUR = 91;
/**
 * ROI blocks and the coherence map use 32x32 blocks in NFIQ 2.3, the version of NIST's
 * reference output (older sources pass 16; NIST's CoherenceSum / CoherenceRel give 196
 * ROI blocks for SFinGe_Test01, which only 32-pixel blocks reproduce).
 */
export const ROI_BLOCK = 32;

export interface RegionOfInterest {
  /** Mean grey level of the ROI pixels, 255 when there are none: NIST "ImgProcROIArea_Mean". */
  readonly meanOfRoiPixels: number;
  readonly roiPixels: number;
  /** 1 where a ROI_BLOCK block (partial blocks at the edges included) holds any ROI pixel. */
  readonly blocks: Uint8Array;
  readonly blockColumns: number;
  readonly blockRows: number;
  readonly roiBlocks: number;
}

/** OpenCV's sigma for a Gaussian of `size` taps when none is given (getGaussianKernel). */
function gaussianKernel(size: number): Float32Array {
  const sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8;
  const kernel = new Float32Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const value = Math.exp(-((i - half) * (i - half)) / (2 * sigma * sigma));
    kernel[i] = value;
    sum += value;
  }
  for (let i = 0; i < size; i++) kernel[i] = (kernel[i] ?? 0) / sum;
  return kernel;
}

/** Index into [0, n) with OpenCV's default border (reflect without repeating the edge). */
function reflect101(index: number, n: number): number {
  let i = index;
  while (i < 0 || i >= n) i = n === 1 ? 0 : i < 0 ? -i : 2 * n - 2 - i;
  return i;
}

/** For each position of a line padded by `half` on both sides, the source index it mirrors. */
function reflectedIndices(n: number, half: number): Int32Array {
  const indices = new Int32Array(n + 2 * half);
  for (let i = -half; i < n + half; i++) indices[i + half] = reflect101(i, n);
  return indices;
}

/** Tap offsets low[k] = half - k and high[k] = half + k about a centre at `half`. */
function centredTaps(half: number): { low: Int32Array; high: Int32Array } {
  const low = new Int32Array(half + 1);
  const high = new Int32Array(half + 1);
  for (let k = 1; k <= half; k++) {
    low[k] = half - k;
    high[k] = half + k;
  }
  return { low, high };
}

/**
 * Sets acc[i], for i in [from, to), to the symmetric kernel applied around source[centre + i]:
 * the centre tap plus, for k = 1..half, kernel[half + k] times the sum of the mirrored
 * pixels source[low[k] + i] and source[high[k] + i]. The inner loops carry no dependency
 * from one i to the next, and four taps share each update of acc, which roughly halves the
 * time over one tap at a time.
 */
function applyMirroredTaps(
  acc: Float64Array,
  source: Float32Array,
  from: number,
  to: number,
  centre: number,
  low: Int32Array,
  high: Int32Array,
  kernel: Float32Array,
): void {
  const half = (kernel.length - 1) / 2;
  const centreWeight = kernel[half] as number;
  for (let i = from; i < to; i++) acc[i] = centreWeight * (source[centre + i] as number);
  let k = 1;
  for (; k + 3 <= half; k += 4) {
    const w1 = kernel[half + k] as number;
    const w2 = kernel[half + k + 1] as number;
    const w3 = kernel[half + k + 2] as number;
    const w4 = kernel[half + k + 3] as number;
    const l1 = low[k] as number;
    const l2 = low[k + 1] as number;
    const l3 = low[k + 2] as number;
    const l4 = low[k + 3] as number;
    const h1 = high[k] as number;
    const h2 = high[k + 1] as number;
    const h3 = high[k + 2] as number;
    const h4 = high[k + 3] as number;
    for (let i = from; i < to; i++) {
      acc[i] =
        (acc[i] as number) +
        (w1 * ((source[l1 + i] as number) + (source[h1 + i] as number)) +
          w2 * ((source[l2 + i] as number) + (source[h2 + i] as number)) +
          w3 * ((source[l3 + i] as number) + (source[h3 + i] as number)) +
          w4 * ((source[l4 + i] as number) + (source[h4 + i] as number)));
    }
  }
  for (; k <= half; k++) {
    const weight = kernel[half + k] as number;
    const l = low[k] as number;
    const h = high[k] as number;
    for (let i = from; i < to; i++) {
      acc[i] =
        (acc[i] as number) + weight * ((source[l + i] as number) + (source[h + i] as number));
    }
  }
}

/**
 * Vertical pass of a separable blur, rounded back to 8 bits; `rows` holds the horizontal
 * pass. Each output row is accumulated a whole source row at a time, so memory is read in
 * order. Where every row in a column's window holds the same value (a blurred mask far
 * from its edges) the output is that value blurred, computed once.
 */
function blurColumns(
  rows: Float32Array,
  width: number,
  height: number,
  kernel: Float32Array,
  flatValues: readonly number[],
): Uint8Array {
  const size = kernel.length;
  const half = (size - 1) / 2;
  const rowStart = reflectedIndices(height, half);
  for (let i = 0; i < rowStart.length; i++) rowStart[i] = (rowStart[i] as number) * width;
  const out = new Uint8Array(width * height);
  const column = new Float64Array(width);
  // Per flat value: its blurred, rounded output (with the same arithmetic as any other
  // pixel) and how many window rows hold it per column.
  const taps = centredTaps(half);
  const flatOutputs = flatValues.map((value) => {
    const blurred = new Float64Array(1);
    applyMirroredTaps(
      blurred,
      new Float32Array(size).fill(value),
      0,
      1,
      half,
      taps.low,
      taps.high,
      kernel,
    );
    return Math.round(blurred[0] as number);
  });
  const flatCounts = flatValues.map(() => new Int32Array(width));
  const countRow = (start: number, step: number): void => {
    flatValues.forEach((value, v) => {
      const counts = flatCounts[v] as Int32Array;
      for (let x = 0; x < width; x++) {
        if (rows[start + x] === value) counts[x] = (counts[x] as number) + step;
      }
    });
  };
  // Per column of the current output row: index of the flat value filling its window, or -1.
  const flatAt = new Int8Array(width);
  // Start of the source rows mirrored about the current output row, per tap.
  const low = new Int32Array(half + 1);
  const high = new Int32Array(half + 1);
  for (let i = 0; i < size - 1; i++) countRow(rowStart[i] as number, 1);

  for (let y = 0; y < height; y++) {
    countRow(rowStart[y + size - 1] as number, 1);
    flatAt.fill(-1);
    flatCounts.forEach((counts, v) => {
      for (let x = 0; x < width; x++) if (counts[x] === size) flatAt[x] = v;
    });
    for (let k = 1; k <= half; k++) {
      low[k] = rowStart[y + half - k] as number;
      high[k] = rowStart[y + half + k] as number;
    }
    const row = y * width;
    let x = 0;
    while (x < width) {
      const flat = flatAt[x] as number;
      if (flat >= 0) {
        out[row + x] = flatOutputs[flat] as number;
        x++;
        continue;
      }
      // A span of columns that needs the full sum: up to the next flat column.
      const from = x;
      while (x < width && flatAt[x] === -1) x++;
      applyMirroredTaps(column, rows, from, x, rowStart[y + half] as number, low, high, kernel);
      for (let i = from; i < x; i++) out[row + i] = Math.round(column[i] as number);
    }
    countRow(rowStart[y] as number, -1);
  }
  return out;
}

/**
 * Separable Gaussian blur of an 8-bit plane with the full kernel, rounded back to 8 bits
 * like OpenCV's (which works in fixed point; the difference moves the ROI mean by under
 * 1e-4). The kernel is symmetric, so mirrored taps are added before multiplying.
 */
function gaussianBlur(source: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const kernel = gaussianKernel(size);
  const half = (size - 1) / 2;
  const columnAt = reflectedIndices(width, half);
  const rows = new Float32Array(width * height);
  const padded = new Float32Array(width + 2 * half);
  const sum = new Float64Array(width);
  const { low, high } = centredTaps(half);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let i = 0; i < padded.length; i++) {
      padded[i] = source[row + (columnAt[i] as number)] as number;
    }
    applyMirroredTaps(sum, padded, 0, width, half, low, high, kernel);
    rows.set(sum, row);
  }
  return blurColumns(rows, width, height, kernel, []);
}

/**
 * gaussianBlur for a mask of 0 and 255. A row is runs of 255, so each output pixel of the
 * horizontal pass is 255 times the kernel weight under the runs its window overlaps,
 * read off the kernel's cumulative sum; the vertical pass then skips the columns whose
 * window is all background or all mask.
 */
function gaussianBlurMask(
  mask: Uint8Array,
  width: number,
  height: number,
  size: number,
): Uint8Array {
  const kernel = gaussianKernel(size);
  const half = (size - 1) / 2;
  const cumulative = new Float64Array(size + 1);
  for (let i = 0; i < size; i++)
    cumulative[i + 1] = (cumulative[i] as number) + (kernel[i] as number);
  const columnAt = reflectedIndices(width, half);
  const rows = new Float32Array(width * height);
  const runStart = new Int32Array(columnAt.length);
  const runEnd = new Int32Array(columnAt.length);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    // Runs of 255 along the padded row, as [start, end) in padded coordinates.
    let runs = 0;
    for (let i = 0; i < columnAt.length; i++) {
      if (mask[row + (columnAt[i] as number)] === 0) continue;
      if (runs > 0 && runEnd[runs - 1] === i) runEnd[runs - 1] = i + 1;
      else {
        runStart[runs] = i;
        runEnd[runs++] = i + 1;
      }
    }
    let first = 0;
    for (let x = 0; x < width; x++) {
      // The window covers padded positions [x, x + size).
      while (first < runs && (runEnd[first] as number) <= x) first++;
      let weight = 0;
      for (let r = first; r < runs && (runStart[r] as number) < x + size; r++) {
        const from = Math.max(0, (runStart[r] as number) - x);
        const to = Math.min(size, (runEnd[r] as number) - x);
        weight += (cumulative[to] as number) - (cumulative[from] as number);
      }
      rows[row + x] = 255 * weight;
    }
  }
  const full = Math.fround(255 * ((cumulative[size] as number) - (cumulative[0] as number)));
  return blurColumns(rows, width, height, kernel, [0, full]);
}

/**
 * 5x5 minimum filter; pixels beyond the edge are ignored, as OpenCV's erode does. Each
 * pass takes the minimum with one shifted copy of the line at a time, so the inner loops
 * run over whole rows without per-pixel bounds.
 */
function erode(source: Uint8Array, width: number, height: number): Uint8Array {
  const half = (ERODE_SIZE - 1) / 2;
  const across = source.slice(0, width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let shift = -half; shift <= half; shift++) {
      if (shift === 0) continue;
      const from = row + Math.max(0, -shift);
      const to = row + Math.min(width, width - shift);
      for (let i = from; i < to; i++) {
        const value = source[i + shift] as number;
        across[i] = Math.min(value, across[i] as number);
      }
    }
  }
  const out = across.slice();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let shift = -half; shift <= half; shift++) {
      if (shift === 0 || y + shift < 0 || y + shift >= height) continue;
      const other = (y + shift) * width - row;
      for (let i = row; i < row + width; i++) {
        const value = across[i + other] as number;
        out[i] = Math.min(value, out[i] as number);
      }
    }
  }
  return out;
}

/**
 * Otsu's threshold as OpenCV computes it (first level of largest between-class variance,
 * skipping levels that leave a class empty), then src > threshold: 255, else 0.
 */
function otsuBinarise(image: Uint8Array): void {
  const histogram = new Float64Array(256);
  for (let i = 0; i < image.length; i++) {
    const value = image[i] as number;
    histogram[value] = (histogram[value] as number) + 1;
  }
  const scale = 1 / image.length;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * (histogram[i] ?? 0);
  mu *= scale;
  const epsilon = 1.1920928955078125e-7; // FLT_EPSILON, OpenCV's empty-class test
  let mu1 = 0;
  let q1 = 0;
  let bestSigma = 0;
  let threshold = 0;
  for (let i = 0; i < 256; i++) {
    const p = (histogram[i] ?? 0) * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < epsilon || Math.max(q1, q2) > 1 - epsilon) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > bestSigma) {
      bestSigma = sigma;
      threshold = i;
    }
  }
  for (let i = 0; i < image.length; i++) image[i] = (image[i] as number) > threshold ? 255 : 0;
}

interface Component {
  readonly size: number;
  readonly touchesEdge: boolean;
  readonly boxArea: number;
}

/**
 * Floods the 4-connected component of `seed` among pixels equal to `image[seed]`, marking
 * it in `seen`; its pixels are left in the first `size` entries of `stack`.
 */
function floodComponent(
  image: Uint8Array,
  width: number,
  height: number,
  seed: number,
  seen: Uint8Array,
  stack: Int32Array,
): Component {
  const value = image[seed];
  seen[seed] = 1;
  stack[0] = seed;
  let size = 1;
  let touchesEdge = false;
  let minX = width;
  let maxX = -1;
  let minY = height;
  let maxY = -1;
  for (let head = 0; head < size; head++) {
    const at = stack[head] as number;
    const x = at % width;
    const y = (at - x) / width;
    if (x === 0 || y === 0 || x === width - 1 || y === height - 1) touchesEdge = true;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
    if (x > 0 && seen[at - 1] !== 1 && image[at - 1] === value) {
      seen[at - 1] = 1;
      stack[size++] = at - 1;
    }
    if (x < width - 1 && seen[at + 1] !== 1 && image[at + 1] === value) {
      seen[at + 1] = 1;
      stack[size++] = at + 1;
    }
    if (y > 0 && seen[at - width] !== 1 && image[at - width] === value) {
      seen[at - width] = 1;
      stack[size++] = at - width;
    }
    if (y < height - 1 && seen[at + width] !== 1 && image[at + width] === value) {
      seen[at + width] = 1;
      stack[size++] = at + width;
    }
  }
  return { size, touchesEdge, boxArea: (maxX - minX + 1) * (maxY - minY + 1) };
}

/**
 * Visits the 4-connected components of pixels equal to `value` in scan order of their
 * first pixel, which is `stack[0]` during the visit.
 */
function forEachComponent(
  image: Uint8Array,
  width: number,
  height: number,
  value: number,
  stack: Int32Array,
  visit: (component: Component) => void,
): void {
  const seen = new Uint8Array(width * height);
  for (let seed = 0; seed < image.length; seed++) {
    if (seen[seed] === 1 || image[seed] !== value) continue;
    visit(floodComponent(image, width, height, seed, seen, stack));
  }
}

/**
 * NFIQ 2's image-processing region of interest (ImgProcROIFeature::computeROI): erode,
 * blur 41, Otsu, blur 91, Otsu; holes inside the finger area are filled and only the
 * dark component with the largest bounding box is kept. The ROI is its dark pixels.
 */
export function computeRegionOfInterest(plane: Plane): RegionOfInterest {
  const { width, height, pixels } = plane;
  const mask = gaussianBlur(erode(pixels, width, height), width, height, FIRST_BLUR);
  otsuBinarise(mask);
  const area = gaussianBlurMask(mask, width, height, SECOND_BLUR);
  otsuBinarise(area);

  const stack = new Int32Array(width * height);
  // Light regions not reaching the edge are holes in the finger area.
  forEachComponent(area, width, height, 255, stack, ({ size, touchesEdge }) => {
    if (touchesEdge) return;
    for (let i = 0; i < size; i++) area[stack[i] as number] = 0;
  });
  // Keep the dark component with the largest bounding box (the first one on a tie).
  let largest = 0;
  let roiPixels = 0;
  const kept = new Int32Array(width * height);
  forEachComponent(area, width, height, 0, stack, ({ size, boxArea }) => {
    if (boxArea > largest) {
      largest = boxArea;
      roiPixels = size;
      kept.set(stack.subarray(0, size));
    }
  });
  const keep = new Uint8Array(width * height);
  for (let i = 0; i < roiPixels; i++) keep[kept[i] as number] = 1;

  const blockColumns = Math.ceil(width / ROI_BLOCK);
  const blockRows = Math.ceil(height / ROI_BLOCK);
  const blocks = new Uint8Array(blockColumns * blockRows);
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const blockRow = Math.floor(y / ROI_BLOCK) * blockColumns;
    for (let x = 0; x < width; x++) {
      if (keep[row + x] !== 1) continue;
      sum += pixels[row + x] as number;
      blocks[blockRow + Math.floor(x / ROI_BLOCK)] = 1;
    }
  }
  let roiBlocks = 0;
  for (const block of blocks) roiBlocks += block;
  return {
    meanOfRoiPixels: roiPixels === 0 ? 255 : sum / roiPixels,
    roiPixels,
    blocks,
    blockColumns,
    blockRows,
    roiBlocks,
  };
}

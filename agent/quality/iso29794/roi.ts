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

/**
 * Separable Gaussian blur of an 8-bit plane with the full kernel, rounded back to 8 bits
 * like OpenCV's (which works in fixed point; the difference moves the ROI mean by under
 * 1e-4). The kernel is symmetric, so mirrored taps are added before multiplying.
 */
function gaussianBlur(source: Uint8Array, width: number, height: number, size: number): Uint8Array {
  const kernel = gaussianKernel(size);
  const half = (size - 1) / 2;
  const rowPass = new Float32Array(width * height);
  const padded = new Float32Array(width + 2 * half);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = -half; x < width + half; x++) {
      padded[x + half] = source[row + reflect101(x, width)] ?? 0;
    }
    for (let x = 0; x < width; x++) {
      const centre = x + half;
      let sum = (kernel[half] ?? 0) * (padded[centre] ?? 0);
      for (let k = 1; k <= half; k++) {
        sum += (kernel[half + k] ?? 0) * ((padded[centre - k] ?? 0) + (padded[centre + k] ?? 0));
      }
      rowPass[row + x] = sum;
    }
  }
  const out = new Uint8Array(width * height);
  const rowIndex = new Int32Array(height + 2 * half);
  for (let y = -half; y < height + half; y++) rowIndex[y + half] = reflect101(y, height) * width;
  const column = new Float32Array(width);
  for (let y = 0; y < height; y++) {
    column.fill(0);
    for (let k = 0; k < size; k++) {
      const weight = kernel[k] ?? 0;
      const from = rowIndex[y + k] ?? 0;
      for (let x = 0; x < width; x++) {
        column[x] = (column[x] ?? 0) + weight * (rowPass[from + x] ?? 0);
      }
    }
    const row = y * width;
    for (let x = 0; x < width; x++) out[row + x] = Math.round(column[x] ?? 0);
  }
  return out;
}

/** 5x5 minimum filter; pixels beyond the edge are ignored, as OpenCV's erode does. */
function erode(source: Uint8Array, width: number, height: number): Uint8Array {
  const half = (ERODE_SIZE - 1) / 2;
  const across = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      let least = 255;
      const end = Math.min(width - 1, x + half);
      for (let i = Math.max(0, x - half); i <= end; i++)
        least = Math.min(least, source[row + i] ?? 255);
      across[row + x] = least;
    }
  }
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const end = Math.min(height - 1, y + half);
    for (let x = 0; x < width; x++) {
      let least = 255;
      for (let j = Math.max(0, y - half); j <= end; j++)
        least = Math.min(least, across[j * width + x] ?? 255);
      out[y * width + x] = least;
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
  for (const value of image) histogram[value] = (histogram[value] ?? 0) + 1;
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
  for (let i = 0; i < image.length; i++) image[i] = (image[i] ?? 0) > threshold ? 255 : 0;
}

/**
 * Labels the 4-connected components of pixels equal to `value`, calling `visit` with each
 * component's pixel list (in `stack`, first `size` entries), whether it touches the image
 * edge and its bounding box.
 */
function forEachComponent(
  image: Uint8Array,
  width: number,
  height: number,
  value: number,
  visit: (stack: Int32Array, size: number, touchesEdge: boolean, boxArea: number) => void,
): void {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  for (let seed = 0; seed < image.length; seed++) {
    if (seen[seed] === 1 || image[seed] !== value) continue;
    seen[seed] = 1;
    stack[0] = seed;
    let size = 1;
    let touchesEdge = false;
    let minX = width;
    let maxX = -1;
    let minY = height;
    let maxY = -1;
    for (let head = 0; head < size; head++) {
      const at = stack[head] ?? 0;
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
    visit(stack, size, touchesEdge, (maxX - minX + 1) * (maxY - minY + 1));
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
  const area = gaussianBlur(mask, width, height, SECOND_BLUR);
  otsuBinarise(area);

  // Light regions not reaching the edge are holes in the finger area.
  forEachComponent(area, width, height, 255, (stack, size, touchesEdge) => {
    if (touchesEdge) return;
    for (let i = 0; i < size; i++) area[stack[i] ?? 0] = 0;
  });
  // Keep the dark component with the largest bounding box (the first one on a tie).
  let largest = 0;
  let largestSeed = -1;
  forEachComponent(area, width, height, 0, (stack, _size, _edge, boxArea) => {
    if (boxArea > largest) {
      largest = boxArea;
      largestSeed = stack[0] ?? -1;
    }
  });
  const keep = new Uint8Array(width * height);
  if (largestSeed >= 0) {
    forEachComponent(area, width, height, 0, (stack, size) => {
      if (stack[0] !== largestSeed) return;
      for (let i = 0; i < size; i++) keep[stack[i] ?? 0] = 1;
    });
  }

  const blockColumns = Math.ceil(width / ROI_BLOCK);
  const blockRows = Math.ceil(height / ROI_BLOCK);
  const blocks = new Uint8Array(blockColumns * blockRows);
  let roiPixels = 0;
  let sum = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const blockRow = Math.floor(y / ROI_BLOCK) * blockColumns;
    for (let x = 0; x < width; x++) {
      if (keep[row + x] !== 1) continue;
      roiPixels++;
      sum += pixels[row + x] ?? 0;
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

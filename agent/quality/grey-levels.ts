/** Grey levels at the given fractions of an 8-bit image's pixels (0.98: the 98th percentile). */
export function greyLevelsAt(pixels: Uint8Array, fractions: readonly number[]): number[] {
  const histogram = new Int32Array(256);
  // An indexed loop: iterating a typed array with for...of costs V8 several times as much.
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i] as number;
    histogram[value] = (histogram[value] as number) + 1;
  }
  return levelsInHistogram(histogram, pixels.length, fractions);
}

/** The lowest grey levels at or below which the given fractions of `pixels` pixels lie. */
export function levelsInHistogram(
  histogram: Int32Array,
  pixels: number,
  fractions: readonly number[],
): number[] {
  return fractions.map((fraction) => {
    let seen = 0;
    for (let level = 0; level < 256; level++) {
      seen += histogram[level] as number;
      if (seen >= fraction * pixels) return level;
    }
    return 255;
  });
}

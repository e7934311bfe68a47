/** Grey levels at the given fractions of an 8-bit image's pixels (0.98: the 98th percentile). */
export function greyLevelsAt(pixels: Uint8Array, fractions: readonly number[]): number[] {
  const histogram = new Uint32Array(256);
  for (const value of pixels) histogram[value] = (histogram[value] as number) + 1;
  return fractions.map((fraction) => {
    let seen = 0;
    for (let level = 0; level < 256; level++) {
      seen += histogram[level] as number;
      if (seen >= fraction * pixels.length) return level;
    }
    return 255;
  });
}

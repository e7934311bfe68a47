/** Grey levels at the given fractions of an 8-bit image's pixels (0.98: the 98th percentile). */
export function greyLevelsAt(pixels: Uint8Array, fractions: readonly number[]): number[] {
  // Four histograms, one per pixel of each group of four: a platen's neighbouring pixels
  // mostly share a level, and counting them into one entry would make every increment wait
  // for the one before.
  const counts = new Int32Array(4 * 256);
  const whole = pixels.length - (pixels.length % 4);
  for (let i = 0; i < whole; i += 4) {
    const a = pixels[i] as number;
    const b = 256 + (pixels[i + 1] as number);
    const c = 512 + (pixels[i + 2] as number);
    const d = 768 + (pixels[i + 3] as number);
    counts[a] = (counts[a] as number) + 1;
    counts[b] = (counts[b] as number) + 1;
    counts[c] = (counts[c] as number) + 1;
    counts[d] = (counts[d] as number) + 1;
  }
  for (let i = whole; i < pixels.length; i++) {
    const value = pixels[i] as number;
    counts[value] = (counts[value] as number) + 1;
  }
  return fractions.map((fraction) => {
    let seen = 0;
    for (let level = 0; level < 256; level++) {
      seen +=
        (counts[level] as number) +
        (counts[256 + level] as number) +
        (counts[512 + level] as number) +
        (counts[768 + level] as number);
      if (seen >= fraction * pixels.length) return level;
    }
    return 255;
  });
}

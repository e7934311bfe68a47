import sharp from "sharp";
import type { GreyImage } from "../../drivers/sensor.js";

/** An 8-bit single-channel PNG; readers take the resolution (500 ppi) from the manifest. */
export async function writePng(image: GreyImage, path: string): Promise<void> {
  await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace("b-w")
    .png()
    .toFile(path);
}

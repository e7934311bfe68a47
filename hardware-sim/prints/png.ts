import { writeFile } from "node:fs/promises";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import type { GreyImage } from "../../drivers/sensor.js";

const SIGNATURE_BYTES = 8;
/** IHDR is always first: length, type, 13 bytes of data, CRC. */
const IHDR_END = SIGNATURE_BYTES + 4 + 4 + 13 + 4;
const INCHES_PER_METRE = 39.3701;

/**
 * A pHYs chunk stating the resolution in pixels per metre. sharp only writes one
 * together with an sRGB colour profile, which would turn the grey image into RGB.
 */
function physicalSizeChunk(resolutionPpi: number): Buffer {
  const pixelsPerMetre = Math.round(resolutionPpi * INCHES_PER_METRE);
  const chunk = Buffer.alloc(4 + 4 + 9 + 4);
  chunk.writeUInt32BE(9, 0);
  chunk.write("pHYs", 4, "latin1");
  chunk.writeUInt32BE(pixelsPerMetre, 8);
  chunk.writeUInt32BE(pixelsPerMetre, 12);
  chunk.writeUInt8(1, 16); // unit: metre
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 17)), 17);
  return chunk;
}

/** An 8-bit single-channel PNG whose pHYs chunk carries the scan resolution. */
export async function encodePng(image: GreyImage): Promise<Buffer> {
  const png = await sharp(image.pixels, {
    raw: { width: image.width, height: image.height, channels: 1 },
  })
    .toColourspace("b-w")
    .png()
    .toBuffer();
  return Buffer.concat([
    png.subarray(0, IHDR_END),
    physicalSizeChunk(image.resolutionPpi),
    png.subarray(IHDR_END),
  ]);
}

export async function writePng(image: GreyImage, path: string): Promise<void> {
  await writeFile(path, await encodePng(image));
}

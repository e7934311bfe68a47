import { SensorError } from "../sensor.js";

/** ReadProdInfo's reply, as the R503 manual (v1.4) lays it out. */
export interface ProductInfo {
  readonly model: string;
  readonly batch: string;
  readonly serial: string;
  readonly hardwareVersion: { readonly major: number; readonly minor: number };
  readonly sensorType: string;
  readonly imageWidth: number;
  readonly imageHeight: number;
  /** Bytes in one template as UpChar sends it. */
  readonly templateSize: number;
  /** Pages in the fingerprint library. */
  readonly librarySize: number;
}

// Field widths in wire order; strings are ASCII padded with 0x00, numbers big-endian.
const MODEL_BYTES = 16;
const BATCH_BYTES = 4;
const SERIAL_BYTES = 8;
const SENSOR_TYPE_BYTES = 8;
const SENSOR_TYPE_OFFSET = MODEL_BYTES + BATCH_BYTES + SERIAL_BYTES + 2;
const NUMBERS_OFFSET = SENSOR_TYPE_OFFSET + SENSOR_TYPE_BYTES;

/**
 * The fields every firmware sends. The manual's table adds 4 reserved bytes, but
 * its own length field (0x0031) and modules in the field send only these 46, so
 * anything after them is ignored rather than required.
 */
export const PRODUCT_INFO_LENGTH = NUMBERS_OFFSET + 8;

export function decodeProductInfo(bytes: Uint8Array): ProductInfo {
  if (bytes.length < PRODUCT_INFO_LENGTH) {
    throw new SensorError(
      "protocol",
      `ReadProdInfo returned ${bytes.length} bytes, expected ${PRODUCT_INFO_LENGTH}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const serialEnd = MODEL_BYTES + BATCH_BYTES + SERIAL_BYTES;
  return {
    model: decodeAsciiField(bytes.subarray(0, MODEL_BYTES)),
    batch: decodeAsciiField(bytes.subarray(MODEL_BYTES, MODEL_BYTES + BATCH_BYTES)),
    serial: decodeAsciiField(bytes.subarray(MODEL_BYTES + BATCH_BYTES, serialEnd)),
    hardwareVersion: { major: view.getUint8(serialEnd), minor: view.getUint8(serialEnd + 1) },
    sensorType: decodeAsciiField(bytes.subarray(SENSOR_TYPE_OFFSET, NUMBERS_OFFSET)),
    imageWidth: view.getUint16(NUMBERS_OFFSET),
    imageHeight: view.getUint16(NUMBERS_OFFSET + 2),
    templateSize: view.getUint16(NUMBERS_OFFSET + 4),
    librarySize: view.getUint16(NUMBERS_OFFSET + 6),
  };
}

/** The reply a module with `info` sends; strings longer than their field are cut. */
export function encodeProductInfo(info: ProductInfo): Uint8Array {
  const bytes = new Uint8Array(PRODUCT_INFO_LENGTH);
  const view = new DataView(bytes.buffer);
  const serialEnd = MODEL_BYTES + BATCH_BYTES + SERIAL_BYTES;
  bytes.set(asciiBytes(info.model, MODEL_BYTES), 0);
  bytes.set(asciiBytes(info.batch, BATCH_BYTES), MODEL_BYTES);
  bytes.set(asciiBytes(info.serial, SERIAL_BYTES), MODEL_BYTES + BATCH_BYTES);
  view.setUint8(serialEnd, info.hardwareVersion.major);
  view.setUint8(serialEnd + 1, info.hardwareVersion.minor);
  bytes.set(asciiBytes(info.sensorType, SENSOR_TYPE_BYTES), SENSOR_TYPE_OFFSET);
  view.setUint16(NUMBERS_OFFSET, info.imageWidth);
  view.setUint16(NUMBERS_OFFSET + 2, info.imageHeight);
  view.setUint16(NUMBERS_OFFSET + 4, info.templateSize);
  view.setUint16(NUMBERS_OFFSET + 6, info.librarySize);
  return bytes;
}

/** A fixed-width text field: up to the first 0x00, trailing spaces dropped. */
export function decodeAsciiField(field: Uint8Array): string {
  const end = field.indexOf(0);
  return String.fromCharCode(...field.subarray(0, end < 0 ? field.length : end)).trimEnd();
}

function asciiBytes(text: string, width: number): Uint8Array {
  const bytes = new Uint8Array(width);
  for (let i = 0; i < Math.min(text.length, width); i++) bytes[i] = text.charCodeAt(i) & 0x7f;
  return bytes;
}

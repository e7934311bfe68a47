import { DEFAULT_ADDRESS, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame } from "../../drivers/r30x/frame.js";
import type { ProductInfo } from "../../drivers/r30x/product-info.js";
import { ascii } from "./bytes.js";

/** An R503's ReadProdInfo reply parameters, field by field as its manual lays them out. */
export const R503_PRODUCT_INFO_BYTES: readonly number[] = [
  ...ascii("R503", 16),
  ...ascii("2301", 4),
  ...ascii("00001234", 8),
  ...[0x01, 0x02],
  ...ascii("FPC1021", 8),
  ...[0x00, 0xc0, 0x00, 0xc0, 0x06, 0x00, 0x00, 0xc8],
];

/** What those bytes say. */
export const R503_PRODUCT_INFO: ProductInfo = {
  model: "R503",
  batch: "2301",
  serial: "00001234",
  hardwareVersion: { major: 1, minor: 2 },
  sensorType: "FPC1021",
  imageWidth: 192,
  imageHeight: 192,
  templateSize: 1536,
  librarySize: 200,
};

/** An acknowledge frame as a module sends it: confirmation code, then parameters. */
export function ack(
  confirmation: number,
  parameters: Iterable<number> = [],
  address = DEFAULT_ADDRESS,
): Uint8Array {
  return encodeFrame({
    address,
    pid: Pid.Acknowledge,
    payload: Uint8Array.of(confirmation, ...parameters),
  });
}

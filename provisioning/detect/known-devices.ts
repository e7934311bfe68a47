import { URU4000_MODELS, type Uru4000Model } from "../../drivers/uru4000/models.js";

/** USB-serial bridge chips that R30x modules are wired to on terminals. */
const SERIAL_BRIDGES: readonly { vendorId: number; productIds: readonly number[]; name: string }[] =
  [
    { vendorId: 0x10_c4, productIds: [0xea_60, 0xea_70, 0xea_71], name: "Silicon Labs CP210x" },
    { vendorId: 0x1a_86, productIds: [0x75_23, 0x55_23, 0x55_d4], name: "WCH CH340/CH341" },
    {
      vendorId: 0x04_03,
      productIds: [0x60_01, 0x60_10, 0x60_11, 0x60_14, 0x60_15],
      name: "FTDI",
    },
    { vendorId: 0x06_7b, productIds: [0x23_03, 0x23_a3], name: "Prolific PL2303" },
  ];

export function serialBridgeName(vendorId: number, productId: number): string | undefined {
  return SERIAL_BRIDGES.find(
    (bridge) => bridge.vendorId === vendorId && bridge.productIds.includes(productId),
  )?.name;
}

/**
 * The U.are.U models a (vendor, product) pair may be. The 4000B and 4500 share ids and
 * protocol, so the first model listed for a pair is the one proposed.
 */
export function usbReaderModels(vendorId: number, productId: number): Uru4000Model[] {
  return Object.values(URU4000_MODELS)
    .filter((profile) =>
      profile.usbIds.some((id) => id.vendorId === vendorId && id.productId === productId),
    )
    .map((profile) => profile.model);
}

/** "0x10c4" or "10c4" (serialport reports bare hex) as a number, or undefined. */
export function parseHexId(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number.parseInt(value.replace(/^0x/i, ""), 16);
  return Number.isInteger(parsed) && parsed >= 0 && parsed <= 0xff_ff ? parsed : undefined;
}

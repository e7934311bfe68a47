import { DIGITALPERSONA_VENDOR_ID } from "./constants.js";

export type Uru4000Model = "uru4000" | "uru4000b" | "uru4500";

export interface Uru4000Profile {
  readonly model: Uru4000Model;
  readonly name: string;
  /** The (vendor, product) pairs this model ships as. */
  readonly usbIds: readonly { readonly vendorId: number; readonly productId: number }[];
  /**
   * "always": every frame follows the header's block flags (4000B, 4500).
   * "when-noisy": the 4000 obfuscates only on some firmware; decode when its first lines look like noise.
   */
  readonly obfuscation: "always" | "when-noisy";
  /** The 4000's optics deliver the image rotated by 180 degrees. */
  readonly rotated: boolean;
}

/** The 4000B and the 4500 enumerate with the same ids and speak the same protocol. */
const URU4000B_IDS = [{ vendorId: DIGITALPERSONA_VENDOR_ID, productId: 0x00_0a }] as const;

export const URU4000_MODELS: Readonly<Record<Uru4000Model, Uru4000Profile>> = {
  uru4000: {
    model: "uru4000",
    name: "DigitalPersona U.are.U 4000",
    usbIds: [
      { vendorId: DIGITALPERSONA_VENDOR_ID, productId: 0x00_07 },
      // The keyboard with a built-in reader.
      { vendorId: DIGITALPERSONA_VENDOR_ID, productId: 0x00_08 },
    ],
    obfuscation: "when-noisy",
    rotated: true,
  },
  uru4000b: {
    model: "uru4000b",
    name: "DigitalPersona U.are.U 4000B",
    usbIds: URU4000B_IDS,
    obfuscation: "always",
    rotated: false,
  },
  uru4500: {
    model: "uru4500",
    name: "DigitalPersona U.are.U 4500",
    usbIds: URU4000B_IDS,
    obfuscation: "always",
    rotated: false,
  },
};

/** Every (vendor, product) pair the driver serves, e.g. for udev rules. */
export const SUPPORTED_USB_IDS: readonly {
  readonly vendorId: number;
  readonly productId: number;
}[] = [...URU4000_MODELS.uru4000.usbIds, ...URU4000B_IDS];

export function formatUsbId(vendorId: number, productId: number): string {
  return `${vendorId.toString(16).padStart(4, "0")}:${productId.toString(16).padStart(4, "0")}`;
}

/**
 * One USB transfer as a replay script describes it: what the program submits and what
 * the device answers. Rendered as an umockdev ioctl script (umockdev-ioctl.ts) or as a
 * usbmon pcap capture (umockdev-pcap.ts).
 */

export interface ControlSetup {
  readonly requestType: number;
  readonly request: number;
  readonly value: number;
  readonly index: number;
}

export type UrbExchange =
  | { readonly kind: "control-out"; readonly setup: ControlSetup; readonly data: Uint8Array }
  | {
      readonly kind: "control-in";
      readonly setup: ControlSetup;
      readonly length: number;
      /** What the device answers (only a pcap replay can deliver it). */
      readonly answer: Uint8Array;
    }
  | {
      readonly kind: "interrupt";
      readonly endpoint: number;
      readonly length: number;
      readonly data: Uint8Array;
      readonly status?: number;
    }
  | {
      readonly kind: "bulk";
      readonly endpoint: number;
      readonly length: number;
      readonly data: Uint8Array;
      readonly status?: number;
    };

/** The 8-byte setup packet, little-endian fields. */
export function setupBytes(setup: ControlSetup, length: number): number[] {
  const { requestType, request, value, index } = setup;
  return [
    requestType,
    request,
    value & 0xff,
    value >> 8,
    index & 0xff,
    index >> 8,
    length & 0xff,
    length >> 8,
  ];
}

export const toHex = (bytes: Iterable<number>): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");

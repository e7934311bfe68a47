import { setupBytes, toHex, type UrbExchange } from "./umockdev-urbs.js";

/**
 * umockdev ioctl scripts (the text `umockdev-record --ioctl` writes) for usbdevfs.
 *
 * What umockdev 0.17's ioctl-tree replay can and cannot do, found by running libusb
 * (the `usb` package's bundled copy) against it:
 * - each URB is a USBDEVFS_REAPURBNDELAY record (libusb reaps with REAPURBNDELAY; a
 *   USBDEVFS_REAPURB record is never matched and the transfer hangs);
 * - OUT data is compared byte for byte with what the program submits; IN data is copied
 *   back only for endpoints with the IN bit (0x80). A control transfer's URB is on
 *   endpoint 0, so a control IN transfer is compared like an OUT one (setup packet plus a
 *   zeroed data stage) and its recorded data is never delivered: control reads see zeros.
 *   The pcap replay (umockdev-pcap.ts) has no such gap;
 * - only one URB may be in flight (the replay keeps a single pending submit), which the
 *   driver's one-transfer-at-a-time design satisfies;
 * - USBDEVFS_GET_CAPABILITIES must say NO_PACKET_SIZE_LIM, or libusb splits the 111 kB
 *   image read into 16 kB URBs submitted together.
 */

const URB_TYPE = { interrupt: 1, control: 2, bulk: 3 } as const;
/** USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT. */
const CAPABILITIES = 0x04 | 0x10;

function urbLine(
  type: number,
  endpoint: number,
  status: number,
  bufferLength: number,
  actualLength: number,
  data: Iterable<number>,
): string {
  return `USBDEVFS_REAPURBNDELAY 0 ${type} ${endpoint} ${status} 0 ${bufferLength} ${actualLength} 0 ${toHex(data)}`;
}

function exchangeLine(exchange: UrbExchange): string {
  switch (exchange.kind) {
    case "control-out": {
      const data = Array.from(exchange.data);
      const setup = setupBytes(exchange.setup, data.length);
      return urbLine(URB_TYPE.control, 0, 0, 8 + data.length, data.length, [...setup, ...data]);
    }
    case "control-in": {
      const setup = setupBytes(exchange.setup, exchange.length);
      const zeroes = new Array<number>(exchange.length).fill(0);
      return urbLine(URB_TYPE.control, 0, 0, 8 + exchange.length, exchange.answer.length, [
        ...setup,
        ...zeroes,
      ]);
    }
    case "interrupt":
    case "bulk": {
      const status = exchange.status ?? 0;
      const data = status === 0 ? exchange.data : new Uint8Array(0);
      return urbLine(
        URB_TYPE[exchange.kind],
        exchange.endpoint,
        status,
        exchange.length,
        data.length,
        data,
      );
    }
  }
}

/** The script for one device node, URBs in the order the program submits them. */
export function ioctlScript(
  devicePath: string,
  deviceNumber: number,
  exchanges: readonly UrbExchange[],
  comment: string,
): string {
  const devnum = toHex([deviceNumber & 0xff, 0, 0, 0, 0, 0, 0, 0]);
  const capabilities = toHex([CAPABILITIES, 0, 0, 0]);
  return [
    `@DEV ${devicePath}`,
    `# ${comment}`,
    `USBDEVFS_CONNECTINFO 0 ${devnum}`,
    `USBDEVFS_GET_CAPABILITIES 0 ${capabilities}`,
    ...exchanges.map(exchangeLine),
    "",
  ].join("\n");
}

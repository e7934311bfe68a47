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
 *   zeroed data stage) and its recorded data is never delivered: register reads see zeros;
 * - only one URB may be in flight (the replay keeps a single pending submit), which the
 *   driver's one-transfer-at-a-time design satisfies;
 * - USBDEVFS_GET_CAPABILITIES must say NO_PACKET_SIZE_LIM, or libusb splits the 111 kB
 *   image read into 16 kB URBs submitted together.
 */

export type UrbExchange =
  | {
      readonly kind: "control-out";
      readonly register: number;
      readonly data: readonly number[] | Uint8Array;
    }
  | { readonly kind: "control-in"; readonly register: number; readonly length: number }
  | { readonly kind: "interrupt"; readonly report: Uint8Array; readonly status?: number }
  | {
      readonly kind: "bulk";
      readonly requested: number;
      readonly data: Uint8Array;
      readonly status?: number;
    };

const URB_TYPE = { interrupt: 1, control: 2, bulk: 3 } as const;
/** USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT. */
const CAPABILITIES = 0x04 | 0x10;

const toHex = (bytes: Iterable<number>): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0").toUpperCase()).join("");

function setupPacket(requestType: number, register: number, length: number): number[] {
  return [requestType, 0x04, register & 0xff, register >> 8, 0, 0, length & 0xff, length >> 8];
}

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
      const setup = setupPacket(0x40, exchange.register, data.length);
      return urbLine(URB_TYPE.control, 0, 0, 8 + data.length, data.length, [...setup, ...data]);
    }
    case "control-in": {
      const setup = setupPacket(0xc0, exchange.register, exchange.length);
      const zeroes = new Array<number>(exchange.length).fill(0);
      return urbLine(URB_TYPE.control, 0, 0, 8 + exchange.length, exchange.length, [
        ...setup,
        ...zeroes,
      ]);
    }
    case "interrupt": {
      const gone = exchange.status !== undefined && exchange.status !== 0;
      const report = gone ? new Uint8Array(0) : exchange.report;
      return urbLine(URB_TYPE.interrupt, 0x81, exchange.status ?? 0, 64, report.length, report);
    }
    case "bulk": {
      const gone = exchange.status !== undefined && exchange.status !== 0;
      const data = gone ? new Uint8Array(0) : exchange.data;
      return urbLine(
        URB_TYPE.bulk,
        0x82,
        exchange.status ?? 0,
        exchange.requested,
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

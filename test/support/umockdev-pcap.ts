import type { UrbExchange } from "./umockdev-urbs.js";
import { setupBytes } from "./umockdev-urbs.js";

/**
 * A usbmon capture (classic pcap, link type 220 DLT_USB_LINUX_MMAPPED: 64-byte headers)
 * of the exchanges, as `umockdev-run --pcap SYSFS=FILE` replays it: strictly in order,
 * every transfer a submit ('S') and a completion ('C') record. Unlike the ioctl replay
 * it delivers the data of control IN transfers, so register reads see real values.
 */

const LINKTYPE_USB_LINUX_MMAPPED = 220;
const EINPROGRESS = -115;
const HEADER = 64;
const TYPE = { interrupt: 1, control: 2, bulk: 3 } as const;

interface UsbmonEvent {
  readonly id: bigint;
  readonly event: "S" | "C";
  readonly transferType: number;
  readonly endpoint: number;
  readonly setup?: readonly number[] | undefined;
  readonly urbLength: number;
  readonly data: Uint8Array;
  readonly status: number;
}

export function pcapCapture(
  bus: number,
  deviceNumber: number,
  exchanges: readonly UrbExchange[],
): Uint8Array {
  const events: UsbmonEvent[] = [];
  exchanges.forEach((exchange, i) => {
    const id = BigInt(i + 1);
    const submit = { id, event: "S", status: EINPROGRESS } as const;
    const complete = { id, event: "C" } as const;
    const none = new Uint8Array(0);
    switch (exchange.kind) {
      case "control-out": {
        const { data } = exchange;
        const setup = setupBytes(exchange.setup, data.length);
        events.push({
          ...submit,
          transferType: TYPE.control,
          endpoint: 0x00,
          setup,
          urbLength: data.length,
          data,
        });
        events.push({
          ...complete,
          transferType: TYPE.control,
          endpoint: 0x00,
          urbLength: data.length,
          data: none,
          status: 0,
        });
        break;
      }
      case "control-in": {
        const setup = setupBytes(exchange.setup, exchange.length);
        events.push({
          ...submit,
          transferType: TYPE.control,
          endpoint: 0x80,
          setup,
          urbLength: exchange.length,
          data: none,
        });
        const { answer } = exchange;
        events.push({
          ...complete,
          transferType: TYPE.control,
          endpoint: 0x80,
          urbLength: answer.length,
          data: answer,
          status: 0,
        });
        break;
      }
      case "interrupt":
      case "bulk": {
        const status = exchange.status ?? 0;
        const data = status === 0 ? exchange.data : none;
        const transferType = TYPE[exchange.kind];
        events.push({
          ...submit,
          transferType,
          endpoint: exchange.endpoint,
          urbLength: exchange.length,
          data: none,
        });
        events.push({
          ...complete,
          transferType,
          endpoint: exchange.endpoint,
          urbLength: data.length,
          data,
          status,
        });
        break;
      }
    }
  });
  const records = events.map((event, i) => record(bus, deviceNumber, event, i));
  const global = new Uint8Array(24);
  const view = new DataView(global.buffer);
  view.setUint32(0, 0xa1b2c3d4, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setUint32(16, 262_144, true);
  view.setUint32(20, LINKTYPE_USB_LINUX_MMAPPED, true);
  return concat([global, ...records]);
}

/** One pcap record: record header, usbmon header, data; one millisecond per event. */
function record(bus: number, deviceNumber: number, event: UsbmonEvent, index: number): Uint8Array {
  const bytes = new Uint8Array(16 + HEADER + event.data.length);
  const view = new DataView(bytes.buffer);
  const seconds = Math.floor(index / 1000);
  const micros = (index % 1000) * 1000;
  view.setUint32(0, seconds, true);
  view.setUint32(4, micros, true);
  view.setUint32(8, HEADER + event.data.length, true);
  view.setUint32(12, HEADER + event.data.length, true);
  const h = 16;
  view.setBigUint64(h, event.id, true);
  bytes[h + 8] = event.event.charCodeAt(0);
  bytes[h + 9] = event.transferType;
  bytes[h + 10] = event.endpoint;
  bytes[h + 11] = deviceNumber;
  view.setUint16(h + 12, bus, true);
  // flag_setup 0: the setup packet is present; '-' not relevant. flag_data 0: data present; '<' none.
  bytes[h + 14] = event.setup ? 0 : 0x2d;
  bytes[h + 15] = event.data.length > 0 ? 0 : 0x3c;
  view.setBigInt64(h + 16, BigInt(seconds), true);
  view.setInt32(h + 24, micros, true);
  view.setInt32(h + 28, event.status, true);
  view.setUint32(h + 32, event.urbLength, true);
  view.setUint32(h + 36, event.data.length, true);
  if (event.setup) bytes.set(event.setup, h + 40);
  bytes.set(event.data, h + HEADER);
  return bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

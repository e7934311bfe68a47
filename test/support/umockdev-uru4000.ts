import {
  DEVICE_INFO_LENGTH,
  IMAGE_TRANSFER_LENGTH,
  INTERRUPT_LENGTH,
  InterruptCode,
  Mode,
  Register,
} from "../../drivers/uru4000/constants.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { blockLayout, encodeFrame } from "../../hardware-sim/uru4000/frame-encoder.js";
import { deviceNode, umockdevDescription, type SynthesisedUsbDevice } from "./umockdev-device.js";
import { ioctlScript } from "./umockdev-ioctl.js";
import { pcapCapture } from "./umockdev-pcap.js";
import type { ControlSetup, UrbExchange } from "./umockdev-urbs.js";

/**
 * Synthesised umockdev recordings of a U.are.U 4500 (05ba:000a) for the driver's real
 * libusb path: what the reader answers, URB by URB, to the driver's open, power-up,
 * finger-on wait, capture, finger-off wait and close.
 *
 * Two forms. The ioctl scripts cannot return control IN data (see umockdev-ioctl.ts), so
 * they describe a reader whose registers all read 0: hardware status 0 (the driver powers
 * it down and up again), device info zero, every obfuscation key 0 (the driver's key is
 * then its own seed). The pcap captures answer like a real reader: a serial number
 * string, hardware status 0x80 (low power) then 0x01, version bytes, and real keys. The
 * probe fixes the driver's seed at SEED so its key requests match the recording.
 */

export const SEED = 0x1357_9bdf;
export const PRINT = { seed: 11, position: 7, impression: 0, sensor: "usb-optical" } as const;
export const SERIAL_NUMBER = "UAU4500-0001";
export const DEVICE_INFO = Uint8Array.from([
  0, 0, 0, 0, 0x01, 0x23, 0, 0, 0, 0, 0x04, 0x56, 0, 0, 0, 0,
]);
const ENODEV = -19;
const EPIPE = -32;

const BASE = { vendorId: 0x05ba, productId: 0x000a, bcdDevice: 0x0104, bus: 1, deviceNumber: 2 };
export const IOCTL_DEVICE: SynthesisedUsbDevice = { ...BASE, serialIndex: 0 };
export const PCAP_DEVICE: SynthesisedUsbDevice = { ...BASE, serialIndex: 3 };

export type ReplayForm = "ioctl" | "pcap";
export type ReplayScenario = "capture" | "finger-off" | "disconnect" | "stall";
export const REPLAY_SCENARIOS: readonly ReplayScenario[] = [
  "capture",
  "finger-off",
  "disconnect",
  "stall",
];

/** What the reader's registers hold in each form. */
interface ReaderState {
  readonly serialNumber: string | undefined;
  readonly statusAtPlugIn: number;
  readonly statusWhenAwake: number;
  readonly deviceInfo: Uint8Array;
  /** What the key register answers for key n under SEED, and the key the driver derives. */
  readonly keyRegister: (n: number) => number;
  readonly key: (n: number) => number;
}

const deviceKey = (n: number): number => (0xc0ff_ee00 + n * 0x0101_0101) >>> 0;

const READERS: Readonly<Record<ReplayForm, ReaderState>> = {
  ioctl: {
    serialNumber: undefined,
    statusAtPlugIn: 0,
    statusWhenAwake: 0,
    deviceInfo: new Uint8Array(DEVICE_INFO_LENGTH),
    keyRegister: () => 0,
    key: () => SEED,
  },
  pcap: {
    serialNumber: SERIAL_NUMBER,
    statusAtPlugIn: 0x80,
    statusWhenAwake: 0x01,
    deviceInfo: DEVICE_INFO,
    keyRegister: (n) => (deviceKey(n) ^ SEED) >>> 0,
    key: deviceKey,
  },
};

const vendor = (requestType: number, register: number): ControlSetup => ({
  requestType,
  request: 0x04,
  value: register,
  index: 0,
});
const writeRegister = (register: number, ...data: number[]): UrbExchange => ({
  kind: "control-out",
  setup: vendor(0x40, register),
  data: Uint8Array.from(data),
});
const readRegister = (register: number, answer: Uint8Array): UrbExchange => ({
  kind: "control-in",
  setup: vendor(0xc0, register),
  length: answer.length,
  answer,
});
const interrupt = (code: number, status = 0): UrbExchange => {
  const data = new Uint8Array(INTERRUPT_LENGTH);
  data[0] = code >> 8;
  data[1] = code & 0xff;
  return { kind: "interrupt", endpoint: 0x81, length: INTERRUPT_LENGTH, data, status };
};
const le32 = (value: number): number[] => [
  value & 0xff,
  (value >>> 8) & 0xff,
  (value >>> 16) & 0xff,
  value >>> 24,
];

/** node-usb's string descriptor read: GET_DESCRIPTOR(STRING, index), US English, 255 bytes. */
function serialNumberRead(serial: string): UrbExchange {
  const text = new Uint8Array(Buffer.from(serial, "utf16le"));
  const answer = Uint8Array.from([2 + text.length, 0x03, ...text]);
  return {
    kind: "control-in",
    setup: { requestType: 0x80, request: 0x06, value: 0x0303, index: 0x0409 },
    length: 255,
    answer,
  };
}

/** The frame a 4500 sends for PRINT, obfuscated under the keys the driver will derive. */
export function replayFrame(form: ReplayForm): Uint8Array {
  return encodeFrame(renderPrint(PRINT).pixels, {
    blocks: blockLayout(true),
    rotated: false,
    keyNumber: 0,
    keyFor: READERS[form].key,
  });
}

function open(reader: ReaderState): UrbExchange[] {
  const status = reader.statusAtPlugIn;
  return [
    ...(reader.serialNumber === undefined ? [] : [serialNumberRead(reader.serialNumber)]),
    readRegister(Register.HardwareStatus, Uint8Array.of(status)),
    ...(status & 0x80 ? [] : [writeRegister(Register.HardwareStatus, status | 0x80)]),
    writeRegister(Register.HardwareStatus, status & 0x0f),
    readRegister(Register.HardwareStatus, Uint8Array.of(reader.statusWhenAwake)),
    interrupt(InterruptCode.ScanPowerOn),
    readRegister(Register.DeviceInfo, reader.deviceInfo),
  ];
}

function capture(form: ReplayForm): UrbExchange[] {
  const reader = READERS[form];
  const keyExchange = (n: number): UrbExchange[] => [
    writeRegister(Register.ScrambleDataIndex, n, ...le32(SEED)),
    readRegister(Register.ScrambleDataKey, Uint8Array.from(le32(reader.keyRegister(n)))),
  ];
  return [
    writeRegister(Register.Mode, Mode.Capture),
    { kind: "bulk", endpoint: 0x82, length: IMAGE_TRANSFER_LENGTH, data: replayFrame(form) },
    // The frame's first key, then the one its change-key block switches to.
    ...keyExchange(0),
    ...keyExchange(1),
  ];
}

function exchanges(form: ReplayForm, scenario: ReplayScenario): UrbExchange[] {
  const fingerOn = [
    writeRegister(Register.Mode, Mode.AwaitFingerOn),
    interrupt(InterruptCode.FingerOn),
  ];
  const fingerOff = [
    writeRegister(Register.Mode, Mode.AwaitFingerOff),
    interrupt(InterruptCode.FingerOff),
  ];
  const close = [writeRegister(Register.Mode, Mode.Off)];
  const opened = open(READERS[form]);
  switch (scenario) {
    case "capture":
      return [...opened, ...fingerOn, ...capture(form), ...fingerOff, ...close];
    case "finger-off":
      return [...opened, ...fingerOff, ...close];
    case "disconnect":
      // Unplugged while waiting: the pending interrupt URB ends with ENODEV.
      return [...opened, writeRegister(Register.Mode, Mode.AwaitFingerOn), interrupt(0, ENODEV)];
    case "stall":
      // The interrupt endpoint stalls once; after the driver clears the halt it delivers.
      return [
        ...opened,
        writeRegister(Register.Mode, Mode.AwaitFingerOn),
        interrupt(0, EPIPE),
        interrupt(InterruptCode.FingerOn),
        ...close,
      ];
  }
}

const COMMENTS: Readonly<Record<ReplayScenario, string>> = {
  capture: "open, finger on, capture, finger off, close",
  "finger-off": "open, finger off, close",
  disconnect: "open, unplugged while waiting for a finger",
  stall: "open, interrupt endpoint stalls while waiting for a finger, cleared, finger on, close",
};

/** Every fixture file (name and bytes) the replay tests load. */
export function replayFixtures(): Record<string, Uint8Array> {
  const text = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, "utf8"));
  const files: Record<string, Uint8Array> = {
    "uru4500.umockdev": text(umockdevDescription(IOCTL_DEVICE)),
    "uru4500-serial.umockdev": text(umockdevDescription(PCAP_DEVICE)),
  };
  for (const scenario of REPLAY_SCENARIOS) {
    files[`uru4500-${scenario}.ioctl`] = text(
      ioctlScript(
        deviceNode(IOCTL_DEVICE),
        IOCTL_DEVICE.deviceNumber,
        exchanges("ioctl", scenario),
        COMMENTS[scenario],
      ),
    );
    files[`uru4500-${scenario}.pcap`] = pcapCapture(
      PCAP_DEVICE.bus,
      PCAP_DEVICE.deviceNumber,
      exchanges("pcap", scenario),
    );
  }
  return files;
}

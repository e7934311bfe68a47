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
import { ioctlScript, type UrbExchange } from "./umockdev-ioctl.js";

/**
 * Synthesised umockdev recordings of a U.are.U 4500 (05ba:000a) for the driver's real
 * libusb path: what the reader answers, URB by URB, to the driver's power-up, finger-on
 * wait, capture, finger-off wait and close.
 *
 * Register reads replay as zeros (see umockdev-ioctl.ts), so the scripts describe a reader
 * whose registers read 0: hardware status 0 (awake, so the driver powers it down and up
 * again), device info all zero, and every obfuscation key 0 — the driver's key is then
 * its own seed, which the probe fixes at SEED so the OUT transfers match.
 */

export const REPLAY_DEVICE: SynthesisedUsbDevice = {
  vendorId: 0x05ba,
  productId: 0x000a,
  bcdDevice: 0x0104,
  bus: 1,
  deviceNumber: 2,
};
export const SEED = 0x1357_9bdf;
export const PRINT = { seed: 11, position: 7, impression: 0, sensor: "usb-optical" } as const;
const ENODEV = -19;

const report = (code: number): Uint8Array => {
  const bytes = new Uint8Array(INTERRUPT_LENGTH);
  bytes[0] = code >> 8;
  bytes[1] = code & 0xff;
  return bytes;
};
const writeRegister = (register: number, ...data: number[]): UrbExchange => ({
  kind: "control-out",
  register,
  data,
});
const readRegister = (register: number, length: number): UrbExchange => ({
  kind: "control-in",
  register,
  length,
});
const interrupt = (code: number): UrbExchange => ({ kind: "interrupt", report: report(code) });

/** The frame a 4500 sends for PRINT, every block obfuscated under key 0 XOR SEED. */
export function replayFrame(): Uint8Array {
  return encodeFrame(renderPrint(PRINT).pixels, {
    blocks: blockLayout(true),
    rotated: false,
    keyNumber: 0,
    keyFor: () => SEED,
  });
}

const seedBytes = [SEED & 0xff, (SEED >>> 8) & 0xff, (SEED >>> 16) & 0xff, SEED >>> 24];

const powerUp: readonly UrbExchange[] = [
  readRegister(Register.HardwareStatus, 1),
  writeRegister(Register.HardwareStatus, 0x80),
  writeRegister(Register.HardwareStatus, 0x00),
  readRegister(Register.HardwareStatus, 1),
  interrupt(InterruptCode.ScanPowerOn),
  readRegister(Register.DeviceInfo, DEVICE_INFO_LENGTH),
];

const fingerOn: readonly UrbExchange[] = [
  writeRegister(Register.Mode, Mode.AwaitFingerOn),
  interrupt(InterruptCode.FingerOn),
];
const fingerOff: readonly UrbExchange[] = [
  writeRegister(Register.Mode, Mode.AwaitFingerOff),
  interrupt(InterruptCode.FingerOff),
];
const close: readonly UrbExchange[] = [writeRegister(Register.Mode, Mode.Off)];

function capture(): UrbExchange[] {
  return [
    writeRegister(Register.Mode, Mode.Capture),
    { kind: "bulk", requested: IMAGE_TRANSFER_LENGTH, data: replayFrame() },
    // The frame's first key, then the one its change-key block switches to.
    writeRegister(Register.ScrambleDataIndex, 0, ...seedBytes),
    readRegister(Register.ScrambleDataKey, 4),
    writeRegister(Register.ScrambleDataIndex, 1, ...seedBytes),
    readRegister(Register.ScrambleDataKey, 4),
  ];
}

export type ReplayScenario = "capture" | "finger-off" | "disconnect";

export const REPLAY_SCENARIOS: Readonly<Record<ReplayScenario, () => string>> = {
  capture: () =>
    script("open, finger on, capture, finger off, close", [
      ...powerUp,
      ...fingerOn,
      ...capture(),
      ...fingerOff,
      ...close,
    ]),
  "finger-off": () => script("open, finger off, close", [...powerUp, ...fingerOff, ...close]),
  disconnect: () =>
    script("open, unplugged while waiting for a finger", [
      ...powerUp,
      writeRegister(Register.Mode, Mode.AwaitFingerOn),
      { kind: "interrupt", report: new Uint8Array(0), status: ENODEV },
    ]),
};

function script(comment: string, exchanges: readonly UrbExchange[]): string {
  return ioctlScript(deviceNode(REPLAY_DEVICE), REPLAY_DEVICE.deviceNumber, exchanges, comment);
}

export function replayDescription(): string {
  return umockdevDescription(REPLAY_DEVICE);
}

/** Every committed fixture file and its expected text, by file name. */
export function replayFixtures(): Record<string, string> {
  const files: Record<string, string> = { "uru4500.umockdev": replayDescription() };
  for (const [scenario, build] of Object.entries(REPLAY_SCENARIOS))
    files[`uru4500-${scenario}.ioctl`] = build();
  return files;
}

import { Pid } from "../../drivers/r30x/constants.js";
import { encodeCommand, encodeFrame, type R30xFrame } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import {
  SimulatedR30xModule,
  type SimulatedR30xOptions,
} from "../../hardware-sim/r30x/simulated-module.js";
import type { GreyImage } from "../../drivers/sensor.js";

export const BROADCAST = 0xff_ff_ff_ff;

/**
 * The host end of a raw conversation with a simulated module: commands built with
 * the codec go in, everything the module says comes back parsed into frames.
 */
export interface RawHost {
  readonly module: SimulatedR30xModule;
  /** Every frame the module has sent, in order. */
  readonly frames: R30xFrame[];
  /** Every byte the module has sent, in order. */
  readonly bytes: () => Uint8Array;
  /** Sends one command; returns the frames it produced synchronously. */
  send(instruction: number, args?: Uint8Array, address?: number): R30xFrame[];
  /** Raw bytes to the module; returns the frames they produced synchronously. */
  raw(bytes: Uint8Array): R30xFrame[];
  /** Data packets of `packetSize`, the last one 0x08. */
  sendData(data: Uint8Array, packetSize: number, address?: number): R30xFrame[];
}

export function rawHost(options: SimulatedR30xOptions = {}): RawHost {
  const module = new SimulatedR30xModule(options);
  const frames: R30xFrame[] = [];
  const chunks: Uint8Array[] = [];
  const parser = new FrameParser({ onFrame: (frame) => frames.push(frame) });
  module.onTransmit((bytes) => {
    chunks.push(bytes);
    parser.push(bytes);
  });
  const raw = (bytes: Uint8Array): R30xFrame[] => {
    const before = frames.length;
    module.receive(bytes);
    return frames.slice(before);
  };
  const address = (): number => module.address;
  return {
    module,
    frames,
    bytes: () => new Uint8Array(Buffer.concat(chunks)),
    raw,
    send: (instruction, args, to = address()) => raw(encodeCommand(to, instruction, args)),
    sendData: (data, packetSize, to = address()) => {
      const before = frames.length;
      for (let offset = 0; offset < data.length; offset += packetSize) {
        const end = Math.min(offset + packetSize, data.length);
        module.receive(
          encodeFrame({
            address: to,
            pid: end === data.length ? Pid.EndData : Pid.Data,
            payload: data.subarray(offset, end),
          }),
        );
      }
      return frames.slice(before);
    },
  };
}

/** The confirmation code of each acknowledge (-1 for other packets). */
export function confirmations(frames: readonly R30xFrame[]): number[] {
  return frames.map((frame) => (frame.pid === Pid.Acknowledge ? (frame.payload[0] ?? -1) : -1));
}

/** The acknowledge's parameters after the confirmation code. */
export function parameters(frame: R30xFrame | undefined): Uint8Array {
  return frame?.payload.subarray(1) ?? new Uint8Array(0);
}

export function u16(bytes: Uint8Array, offset = 0): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

/** The data packets' payloads joined. */
export function joinData(frames: readonly R30xFrame[]): Uint8Array {
  return new Uint8Array(
    Buffer.concat(
      frames.filter((f) => f.pid === Pid.Data || f.pid === Pid.EndData).map((f) => f.payload),
    ),
  );
}

/** Traveller `seed`'s finger `position`, sized for `module`. */
export function fingerFor(module: SimulatedR30xModule, seed: number, position = 2): GreyImage {
  return renderSimplePrint({
    seed,
    position,
    width: module.profile.imageWidth,
    height: module.profile.imageHeight,
  });
}

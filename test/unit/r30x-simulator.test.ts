import { describe, expect, it } from "vitest";
import { Confirmation, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeCommand, uint32Bytes, type R30xFrame } from "../../drivers/r30x/frame.js";
import { unpackImage } from "../../drivers/r30x/image.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { decodeSystemParameters } from "../../drivers/r30x/system-parameters.js";
import {
  SimulatedR30xModule,
  type SimulatedR30xOptions,
} from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";

const ADDRESS = 0xff_ff_ff_ff;

/** A module plus everything it has said, as frames. */
function moduleUnderTest(options: SimulatedR30xOptions = {}): {
  module: SimulatedR30xModule;
  replies: R30xFrame[];
  send: (instruction: number, args?: Uint8Array, address?: number) => R30xFrame[];
} {
  const module = new SimulatedR30xModule(options);
  const replies: R30xFrame[] = [];
  const parser = new FrameParser({ onFrame: (frame) => replies.push(frame) });
  module.onTransmit((bytes) => {
    parser.push(bytes);
  });
  const send = (
    instruction: number,
    args?: Uint8Array,
    address = options.address ?? ADDRESS,
  ): R30xFrame[] => {
    const before = replies.length;
    module.receive(encodeCommand(address, instruction, args));
    return replies.slice(before);
  };
  return { module, replies, send };
}

function confirmations(frames: readonly R30xFrame[]): number[] {
  return frames.map((frame) => (frame.pid === Pid.Acknowledge ? (frame.payload[0] ?? -1) : -1));
}

describe("SimulatedR30xModule", () => {
  it("answers a command split into single bytes", () => {
    const { module, replies } = moduleUnderTest();
    for (const byte of encodeCommand(ADDRESS, Instruction.TemplateNum))
      module.receive(Uint8Array.of(byte));
    expect(confirmations(replies)).toEqual([Confirmation.Ok]);
    expect(replies[0]?.address).toBe(ADDRESS);
  });

  it("ignores frames for another address and answers its own", () => {
    const { send } = moduleUnderTest({ address: 0x0000_0001 });
    expect(send(Instruction.TemplateNum, undefined, 0x0000_0002)).toEqual([]);
    const replies = send(Instruction.TemplateNum, undefined, 0x0000_0001);
    expect(confirmations(replies)).toEqual([Confirmation.Ok]);
    expect(replies[0]?.address).toBe(1);
  });

  it("answers 0x01 to a frame with a bad checksum", () => {
    const { module, replies } = moduleUnderTest();
    const frame = encodeCommand(ADDRESS, Instruction.GenImg);
    frame[frame.length - 1] = (frame.at(-1) ?? 0) ^ 0xff;
    module.receive(frame);
    expect(confirmations(replies)).toEqual([Confirmation.PacketReceiveError]);
  });

  it("enforces the password", () => {
    const { send } = moduleUnderTest({ password: 0x1234_5678 });
    expect(confirmations(send(Instruction.GenImg))).toEqual([Confirmation.PasswordNotVerified]);
    expect(confirmations(send(Instruction.VfyPwd, uint32Bytes(0x1234_5679)))).toEqual([
      Confirmation.WrongPassword,
    ]);
    expect(confirmations(send(Instruction.ReadSysPara))).toEqual([
      Confirmation.PasswordNotVerified,
    ]);
    expect(confirmations(send(Instruction.VfyPwd, Uint8Array.of(1, 2)))).toEqual([
      Confirmation.PacketReceiveError,
    ]);
    expect(confirmations(send(Instruction.VfyPwd, uint32Bytes(0x1234_5678)))).toEqual([
      Confirmation.Ok,
    ]);
    expect(confirmations(send(Instruction.GenImg))).toEqual([Confirmation.NoFinger]);
  });

  it("needs no VfyPwd when the password is zero", () => {
    const { send } = moduleUnderTest();
    expect(confirmations(send(Instruction.GenImg))).toEqual([Confirmation.NoFinger]);
  });

  it("reports consistent system parameters", () => {
    const { send } = moduleUnderTest({
      address: 0xc0ffee,
      packetSizeCode: 3,
      baudMultiplier: 12,
      password: 7,
    });
    send(Instruction.VfyPwd, uint32Bytes(7));
    const [reply] = send(Instruction.ReadSysPara);
    expect(reply?.payload[0]).toBe(Confirmation.Ok);
    const parameters = decodeSystemParameters(reply?.payload.subarray(1) ?? new Uint8Array(0));
    expect(parameters).toMatchObject({
      systemId: 9,
      librarySize: 1000,
      securityLevel: 3,
      address: 0xc0ffee,
      packetSize: 256,
      baud: 115_200,
    });
    expect(parameters.statusRegister & 0b1000).toBe(0);
    expect(parameters.statusRegister & 0b0100).toBe(0b0100);
  });

  it("answers 0x15 to UpImage before any image was taken", () => {
    const { send } = moduleUnderTest();
    expect(confirmations(send(Instruction.UpImage))).toEqual([Confirmation.NoValidPrimaryImage]);
  });

  it("uploads the captured image in packets of the configured size", () => {
    const { module, send } = moduleUnderTest({ packetSizeCode: 1 });
    const image = syntheticImage(256, 288, 4);
    module.placeFinger(image);
    expect(confirmations(send(Instruction.GenImg))).toEqual([Confirmation.Ok]);
    module.liftFinger();
    // The image buffer keeps what GenImg took after the finger has gone.
    const [ack, ...packets] = send(Instruction.UpImage);
    expect(ack?.pid).toBe(Pid.Acknowledge);
    expect(ack?.payload).toEqual(Uint8Array.of(Confirmation.Ok));
    expect(packets).toHaveLength(36_864 / 64);
    expect(packets.every((p) => p.payload.length === 64)).toBe(true);
    expect(packets.slice(0, -1).every((p) => p.pid === Pid.Data)).toBe(true);
    expect(packets.at(-1)?.pid).toBe(Pid.EndData);
    const joined = new Uint8Array(36_864);
    packets.forEach((p, i) => {
      joined.set(p.payload, i * 64);
    });
    expect(unpackImage(joined, 256, 288)).toEqual(image.pixels.map((v) => (v >> 4) * 17));
  });

  it("forgets the image when GenImg finds no finger", () => {
    const { module, send } = moduleUnderTest();
    module.placeFinger(syntheticImage(256, 288));
    send(Instruction.GenImg);
    module.liftFinger();
    expect(confirmations(send(Instruction.GenImg))).toEqual([Confirmation.NoFinger]);
    expect(confirmations(send(Instruction.UpImage))).toEqual([Confirmation.NoValidPrimaryImage]);
  });

  it("answers instructions its firmware does not know as that firmware does", () => {
    // The classic manuals define no "unsupported" code; the R503 answers 0xFC.
    const classic = moduleUnderTest();
    expect(confirmations(classic.send(Instruction.GetImageEx))).toEqual([
      Confirmation.PacketReceiveError,
    ]);
    expect(confirmations(classic.send(0x77))).toEqual([Confirmation.PacketReceiveError]);
    const r503 = moduleUnderTest({ model: "r503" });
    expect(confirmations(r503.send(0x77))).toEqual([Confirmation.UnsupportedCommand]);
  });

  it("refuses an image of the wrong size for its model", () => {
    const { module } = moduleUnderTest({ model: "r503" });
    expect(() => {
      module.placeFinger(syntheticImage(256, 288));
    }).toThrow(/192x192/);
    expect(module.fingerPlaced).toBe(false);
  });
});

import { describe, expect, it } from "vitest";
import {
  Confirmation,
  confirmationMessage,
  deviceError,
  Instruction,
  Pid,
} from "../../drivers/r30x/constants.js";
import {
  encodeCommand,
  encodeFrame,
  frameChecksum,
  MAX_FRAME_LENGTH,
  uint32Bytes,
  type R30xFrame,
} from "../../drivers/r30x/frame.js";
import { FrameParser, type ParserDiscard } from "../../drivers/r30x/parser.js";
import {
  decodeSystemParameters,
  encodeSystemParameters,
} from "../../drivers/r30x/system-parameters.js";
import { isSensorError } from "../../drivers/sensor.js";
import { hex } from "../support/bytes.js";

function collect(): { parser: FrameParser; frames: R30xFrame[]; discards: ParserDiscard[] } {
  const frames: R30xFrame[] = [];
  const discards: ParserDiscard[] = [];
  const parser = new FrameParser({
    onFrame: (f) => frames.push(f),
    onDiscard: (d) => discards.push(d),
  });
  return { parser, frames, discards };
}

// Every vector below was summed by hand from the reference: PID + LEN bytes + payload.
const GEN_IMG = hex("EF 01 FF FF FF FF 01 00 03 01 00 05");
const VFY_PWD_0 = hex("EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B");
const ACK_OK = hex("EF 01 FF FF FF FF 07 00 03 00 00 0A");
const ACK_NO_FINGER = hex("EF 01 FF FF FF FF 07 00 03 02 00 0C");

describe("R30x frame encoding", () => {
  it("encodes the well-known GenImg command", () => {
    expect(encodeCommand(0xff_ff_ff_ff, Instruction.GenImg)).toEqual(GEN_IMG);
  });

  it("encodes VfyPwd with the default password", () => {
    expect(encodeCommand(0xff_ff_ff_ff, Instruction.VfyPwd, uint32Bytes(0))).toEqual(VFY_PWD_0);
  });

  it("encodes VfyPwd with a non-zero password big-endian", () => {
    // 01 + 00 + 07 + 13 + 01 + 02 + 03 + 04 = 0x25
    expect(encodeCommand(0xff_ff_ff_ff, Instruction.VfyPwd, uint32Bytes(0x01020304))).toEqual(
      hex("EF 01 FF FF FF FF 01 00 07 13 01 02 03 04 00 25"),
    );
  });

  it("encodes ReadSysPara and UpImage", () => {
    expect(encodeCommand(0xff_ff_ff_ff, Instruction.ReadSysPara)).toEqual(
      hex("EF 01 FF FF FF FF 01 00 03 0F 00 13"),
    );
    expect(encodeCommand(0xff_ff_ff_ff, Instruction.UpImage)).toEqual(
      hex("EF 01 FF FF FF FF 01 00 03 0A 00 0E"),
    );
  });

  it("puts a non-default address on the wire without summing it", () => {
    expect(encodeCommand(0x12_34_56_78, Instruction.GenImg)).toEqual(
      hex("EF 01 12 34 56 78 01 00 03 01 00 05"),
    );
  });

  it("encodes acknowledges", () => {
    expect(
      encodeFrame({ address: 0xff_ff_ff_ff, pid: Pid.Acknowledge, payload: hex("00") }),
    ).toEqual(ACK_OK);
    expect(
      encodeFrame({ address: 0xff_ff_ff_ff, pid: Pid.Acknowledge, payload: hex("02") }),
    ).toEqual(ACK_NO_FINGER);
  });

  it("sums a full 256-byte last data packet", () => {
    const payload = new Uint8Array(256).fill(0xff);
    // 08 + 01 + 02 + 256 x FF = 11 + 65280 = 0xFF0B
    expect(frameChecksum(Pid.EndData, 0x0102, payload)).toBe(0xff0b);
    const bytes = encodeFrame({ address: 0xff_ff_ff_ff, pid: Pid.EndData, payload });
    expect(bytes.length).toBe(MAX_FRAME_LENGTH);
    expect([...bytes.subarray(0, 9)]).toEqual([
      0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x08, 0x01, 0x02,
    ]);
    expect([...bytes.subarray(-2)]).toEqual([0xff, 0x0b]);
  });

  it("keeps only the low 16 bits of the sum", () => {
    expect(frameChecksum(0xff, 0xffff, new Uint8Array(300).fill(0xff))).toBe(
      (0xff + 0xff + 0xff + 300 * 0xff) & 0xffff,
    );
  });

  it("refuses empty and oversized payloads", () => {
    expect(() => encodeFrame({ address: 0, pid: Pid.Data, payload: new Uint8Array(0) })).toThrow(
      RangeError,
    );
    expect(() => encodeFrame({ address: 0, pid: Pid.Data, payload: new Uint8Array(257) })).toThrow(
      RangeError,
    );
  });
});

describe("R30x frame parser", () => {
  it("parses a whole frame", () => {
    const { parser, frames, discards } = collect();
    parser.push(ACK_NO_FINGER);
    expect(frames).toEqual([{ address: 0xff_ff_ff_ff, pid: Pid.Acknowledge, payload: hex("02") }]);
    expect(discards).toEqual([]);
    expect(parser.bufferedBytes).toBe(0);
  });

  it("parses frames split byte by byte", () => {
    const { parser, frames } = collect();
    const stream = new Uint8Array([...GEN_IMG, ...VFY_PWD_0, ...ACK_OK]);
    for (const byte of stream) parser.push(Uint8Array.of(byte));
    expect(frames.map((f) => [f.pid, f.payload[0]])).toEqual([
      [Pid.Command, Instruction.GenImg],
      [Pid.Command, Instruction.VfyPwd],
      [Pid.Acknowledge, Confirmation.Ok],
    ]);
    expect(frames[1]?.payload).toEqual(hex("13 00 00 00 00"));
  });

  it("resynchronises after garbage, including false start bytes", () => {
    const { parser, frames, discards } = collect();
    parser.push(new Uint8Array([0x00, 0x55, 0xef, 0xef, 0x02, 0x13, ...ACK_OK, 0xaa, 0xef]));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.payload).toEqual(hex("00"));
    expect(discards).toContainEqual({ reason: "garbage", byteCount: 6 });
    // A trailing 0xEF might begin the next frame, so it is kept.
    expect(parser.bufferedBytes).toBe(1);
    parser.push(ACK_NO_FINGER.subarray(1));
    expect(frames.map((f) => f.payload[0])).toEqual([0x00, 0x02]);
  });

  it("drops a frame with a bad checksum and finds the next one", () => {
    const { parser, frames, discards } = collect();
    const damaged = ACK_OK.slice();
    damaged[11] = 0x0b;
    parser.push(new Uint8Array([...damaged, ...ACK_NO_FINGER]));
    expect(frames.map((f) => f.payload[0])).toEqual([Confirmation.NoFinger]);
    expect(discards[0]).toEqual({ reason: "bad-checksum", byteCount: 1, address: 0xff_ff_ff_ff });
  });

  it("finds a good frame hidden inside a truncated one", () => {
    const { parser, frames } = collect();
    // A header announcing 16 bytes, cut short after 3, then a complete acknowledge.
    parser.push(
      new Uint8Array([
        ...hex("EF 01 FF FF FF FF 07 00 10 00 01 02"),
        ...ACK_OK,
        ...new Uint8Array(16),
      ]),
    );
    expect(frames.map((f) => f.payload[0])).toEqual([Confirmation.Ok]);
  });

  it("rejects absurd length fields without waiting for them", () => {
    const { parser, frames, discards } = collect();
    parser.push(new Uint8Array([...hex("EF 01 FF FF FF FF 02 FF FF"), ...ACK_OK]));
    expect(discards[0]).toEqual({ reason: "bad-length", byteCount: 1 });
    expect(frames).toHaveLength(1);
    const short = collect();
    short.parser.push(new Uint8Array([...hex("EF 01 FF FF FF FF 07 00 02"), ...ACK_OK]));
    expect(short.discards[0]).toEqual({ reason: "bad-length", byteCount: 1 });
    expect(short.frames).toHaveLength(1);
  });

  it("rejects unknown packet identifiers", () => {
    const { parser, frames, discards } = collect();
    parser.push(new Uint8Array([...hex("EF 01 FF FF FF FF 05 00 03 00 00 08"), ...ACK_OK]));
    expect(discards[0]).toEqual({ reason: "bad-pid", byteCount: 1 });
    expect(frames).toHaveLength(1);
  });

  it("keeps its buffer bounded whatever arrives", () => {
    const { parser, frames } = collect();
    const noise = new Uint8Array(1 << 20);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 131 + 7) & 0xff;
    parser.push(noise);
    expect(parser.bufferedBytes).toBeLessThan(MAX_FRAME_LENGTH);
    // A stream of start codes and maximal lengths is the worst case for waiting.
    const teasing = new Uint8Array(9 * 1_111);
    for (let i = 0; i < teasing.length; i += 9) teasing.set(hex("EF 01 FF FF FF FF 02 01 02"), i);
    parser.push(teasing);
    expect(parser.bufferedBytes).toBeLessThan(MAX_FRAME_LENGTH);
    expect(frames).toHaveLength(0);
    // The last teasing header swallows what follows until its checksum fails; then resync finds the frame.
    parser.push(new Uint8Array([...ACK_OK, ...new Uint8Array(MAX_FRAME_LENGTH)]));
    expect(frames.map((f) => f.payload[0])).toEqual([Confirmation.Ok]);
  });

  it("parses a large chunk holding many frames", () => {
    const { parser, frames } = collect();
    const one = encodeFrame({ address: 1, pid: Pid.Data, payload: new Uint8Array(128).fill(0x5a) });
    const many = new Uint8Array(one.length * 300);
    for (let i = 0; i < 300; i++) many.set(one, i * one.length);
    parser.push(many);
    expect(frames).toHaveLength(300);
    expect(frames.every((f) => f.address === 1 && f.payload.length === 128)).toBe(true);
    expect(parser.bufferedBytes).toBe(0);
  });
});

describe("R30x constants", () => {
  it("maps every confirmation code to a message", () => {
    for (const code of Object.values(Confirmation)) {
      expect(confirmationMessage(code)).not.toBe("unknown confirmation code");
    }
    expect(confirmationMessage(0x99)).toBe("unknown confirmation code");
  });

  it("turns a confirmation code into a device SensorError", () => {
    const error = deviceError(Instruction.VfyPwd, Confirmation.WrongPassword);
    expect(isSensorError(error, "device")).toBe(true);
    expect(error.deviceCode).toBe(0x13);
    expect(error.message).toBe("VfyPwd: wrong password (0x13)");
  });
});

describe("R30x system parameters", () => {
  it("decodes the 16 bytes of ReadSysPara", () => {
    const parameters = decodeSystemParameters(
      hex("00 04 00 09 03 E8 00 03 FF FF FF FF 00 02 00 06"),
    );
    expect(parameters).toEqual({
      statusRegister: 4,
      systemId: 9,
      librarySize: 1000,
      securityLevel: 3,
      address: 0xff_ff_ff_ff,
      packetSizeCode: 2,
      packetSize: 128,
      baudMultiplier: 6,
      baud: 57_600,
    });
    expect(encodeSystemParameters(parameters)).toEqual(
      hex("00 04 00 09 03 E8 00 03 FF FF FF FF 00 02 00 06"),
    );
  });

  it("rejects a short reply and an unknown packet size code", () => {
    expect(() => decodeSystemParameters(new Uint8Array(15))).toThrow(/15 bytes/);
    expect(() =>
      decodeSystemParameters(hex("00 00 00 09 03 E8 00 03 FF FF FF FF 00 07 00 06")),
    ).toThrow(/packet size code 7/);
  });
});

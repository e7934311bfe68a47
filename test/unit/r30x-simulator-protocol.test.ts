import { describe, expect, it } from "vitest";
import { Confirmation, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeCommand, encodeFrame, uint32Bytes } from "../../drivers/r30x/frame.js";
import { decodeSystemParameters } from "../../drivers/r30x/system-parameters.js";
import { HEADER_LENGTH, templateGeometry } from "../../hardware-sim/r30x/fingerprint-features.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import {
  BROADCAST,
  confirmations,
  fingerFor,
  joinData,
  parameters,
  rawHost,
  u16,
  type RawHost,
} from "../support/r30x-host.js";
import { hex } from "../support/bytes.js";

function sysPara(host: RawHost): ReturnType<typeof decodeSystemParameters> {
  return decodeSystemParameters(parameters(host.send(Instruction.ReadSysPara)[0]));
}

/** Puts traveller `seed`'s finger into the library at `page` via GenImg, Img2Tz, Store. */
function enrol(host: RawHost, seed: number, page: number): void {
  host.module.placeFinger(fingerFor(host.module, seed));
  expect(confirmations(host.send(Instruction.GenImg))).toEqual([Confirmation.Ok]);
  expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(1)))).toEqual([0]);
  expect(confirmations(host.send(Instruction.Store, Uint8Array.of(1, page >> 8, page)))).toEqual([
    Confirmation.Ok,
  ]);
  host.module.liftFinger();
}

describe("R30x simulator: frames on the wire", () => {
  it("answers the manual's VfyPwd with the manual's acknowledge, byte for byte", () => {
    const host = rawHost();
    host.raw(hex("EF01 FFFFFFFF 01 0007 13 00000000 001B"));
    expect(Buffer.from(host.bytes()).toString("hex")).toBe("ef01ffffffff07000300000a");
  });

  it("sends ReadSysPara's 16 bytes with the right length and checksum", () => {
    const host = rawHost();
    host.raw(hex("EF01 FFFFFFFF 01 0003 0F 0013"));
    expect(Buffer.from(host.bytes()).toString("hex")).toBe(
      "ef01ffffffff0700130000000009" + "03e80003ffffffff00020006" + "0515",
    );
  });

  it("answers GenImg on a clear sensor with 0x02", () => {
    const host = rawHost();
    host.raw(hex("EF01 FFFFFFFF 01 0003 01 0005"));
    expect(Buffer.from(host.bytes()).toString("hex")).toBe("ef01ffffffff07000302000c");
  });

  it("answers a damaged frame for its address with 0x01 and ignores one for another", () => {
    const host = rawHost({ address: 7 });
    const damaged = encodeCommand(7, Instruction.TemplateNum);
    damaged[damaged.length - 1] = (damaged.at(-1) ?? 0) ^ 0x01;
    expect(confirmations(host.raw(damaged))).toEqual([Confirmation.PacketReceiveError]);
    const elsewhere = encodeCommand(8, Instruction.TemplateNum);
    elsewhere[elsewhere.length - 1] = (elsewhere.at(-1) ?? 0) ^ 0x01;
    expect(host.raw(elsewhere)).toEqual([]);
  });

  it("skips line noise between frames and ignores stray acknowledges and data packets", () => {
    const host = rawHost();
    const noisy = new Uint8Array([0x00, 0xef, 0x55, ...encodeCommand(BROADCAST, 0x1d), 0x13]);
    expect(confirmations(host.raw(noisy))).toEqual([Confirmation.Ok]);
    for (const pid of [Pid.Acknowledge, Pid.Data, Pid.EndData])
      expect(host.raw(encodeFrame({ address: BROADCAST, pid, payload: Uint8Array.of(0) }))).toEqual(
        [],
      );
  });

  it("answers 0x01 when an instruction's arguments have the wrong length", () => {
    const host = rawHost();
    expect(confirmations(host.send(Instruction.Img2Tz))).toEqual([Confirmation.PacketReceiveError]);
    expect(confirmations(host.send(Instruction.GenImg, Uint8Array.of(1)))).toEqual([
      Confirmation.PacketReceiveError,
    ]);
  });
});

describe("R30x simulator: address and password", () => {
  it("moves to the address SetAddr gives and acknowledges from it", () => {
    const host = rawHost();
    const [ack] = host.send(Instruction.SetAddr, uint32Bytes(0x0000_002a));
    expect(ack?.payload[0]).toBe(Confirmation.Ok);
    expect(ack?.address).toBe(0x2a);
    expect(host.send(Instruction.TemplateNum, undefined, BROADCAST)).toEqual([]);
    const [reply] = host.send(Instruction.TemplateNum, undefined, 0x2a);
    expect(reply?.address).toBe(0x2a);
    expect(sysPara(host).address).toBe(0x2a);
  });

  it("refuses everything but VfyPwd with 0x21 until the password is verified", () => {
    const host = rawHost({ password: 0xcafe });
    for (const instruction of [
      Instruction.GenImg,
      Instruction.ReadSysPara,
      Instruction.Empty,
      0x77,
    ])
      expect(confirmations(host.send(instruction))).toEqual([Confirmation.PasswordNotVerified]);
    expect(confirmations(host.send(Instruction.VfyPwd, uint32Bytes(0xcaff)))).toEqual([
      Confirmation.WrongPassword,
    ]);
    expect(confirmations(host.send(Instruction.VfyPwd, uint32Bytes(0xcafe)))).toEqual([0]);
    expect(sysPara(host).statusRegister & 0b100).toBe(0b100);
  });

  it("binds a password set with SetPwd from the next power-on", () => {
    const host = rawHost();
    expect(confirmations(host.send(Instruction.SetPwd, uint32Bytes(1234)))).toEqual([0]);
    expect(confirmations(host.send(Instruction.TemplateNum))).toEqual([Confirmation.Ok]);
    host.module.powerOn();
    expect(confirmations(host.send(Instruction.TemplateNum))).toEqual([
      Confirmation.PasswordNotVerified,
    ]);
    expect(confirmations(host.send(Instruction.VfyPwd, uint32Bytes(0)))).toEqual([
      Confirmation.WrongPassword,
    ]);
    expect(confirmations(host.send(Instruction.VfyPwd, uint32Bytes(1234)))).toEqual([0]);
  });
});

describe("R30x simulator: system parameters", () => {
  it("sends data packets of the size SetSysPara 6 selects", () => {
    const host = rawHost();
    host.module.placeFinger(syntheticImage(256, 288, 2));
    host.send(Instruction.GenImg);
    expect(confirmations(host.send(Instruction.SetSysPara, Uint8Array.of(6, 3)))).toEqual([0]);
    const [, ...packets] = host.send(Instruction.UpImage);
    expect(packets).toHaveLength(36_864 / 256);
    expect(packets.every((p) => p.payload.length === 256)).toBe(true);
    expect(sysPara(host).packetSize).toBe(256);
  });

  it("acknowledges a baud change at the old speed and runs at the new one after", () => {
    const host = rawHost();
    const speedAtEachFrame: number[] = [];
    host.module.onTransmit(() => speedAtEachFrame.push(host.module.baud));
    expect(confirmations(host.send(Instruction.SetSysPara, Uint8Array.of(4, 12)))).toEqual([0]);
    host.send(Instruction.TemplateNum);
    expect(speedAtEachFrame).toEqual([57_600, 115_200]);
    expect(sysPara(host).baud).toBe(115_200);
  });

  it("applies the security level to the match threshold", () => {
    const host = rawHost({ securityLevel: 1 });
    host.module.placeFinger(fingerFor(host.module, 3));
    host.send(Instruction.GenImg);
    host.send(Instruction.Img2Tz, Uint8Array.of(1));
    const [, ...packets] = host.send(Instruction.UpChar, Uint8Array.of(1));
    // The same template with 7 in 32 of its ridge-signature bits flipped.
    const weaker = joinData(packets);
    const geometry = templateGeometry(256, 288, 512);
    const start = HEADER_LENGTH + geometry.blocksX * geometry.blocksY;
    const end = start + (geometry.windowBlocks * 4) ** 2 / 8;
    for (let i = start; i < end; i++) weaker[i] = (weaker[i] ?? 0) ^ (i % 4 === 0 ? 0x01 : 0x11);
    expect(confirmations(host.send(Instruction.DownChar, Uint8Array.of(2)))).toEqual([0]);
    host.sendData(weaker, 128);
    const [atLevel1] = host.send(Instruction.Match);
    const score = u16(parameters(atLevel1));
    expect(atLevel1?.payload[0]).toBe(Confirmation.Ok);
    expect(score).toBeGreaterThan(30);
    expect(score).toBeLessThan(80);
    expect(confirmations(host.send(Instruction.SetSysPara, Uint8Array.of(5, 5)))).toEqual([0]);
    const [atLevel5] = host.send(Instruction.Match);
    expect(atLevel5?.payload[0]).toBe(Confirmation.NoMatch);
    expect(u16(parameters(atLevel5))).toBe(score);
    expect(sysPara(host).securityLevel).toBe(5);
  });

  it("answers 0x1A for an unknown register and 0x1B for a value it cannot take", () => {
    const host = rawHost();
    expect(confirmations(host.send(Instruction.SetSysPara, Uint8Array.of(7, 1)))).toEqual([
      Confirmation.InvalidRegister,
    ]);
    for (const [parameter, value] of [
      [4, 13],
      [5, 0],
      [6, 4],
    ] as const)
      expect(
        confirmations(host.send(Instruction.SetSysPara, Uint8Array.of(parameter, value))),
      ).toEqual([Confirmation.BadRegisterConfiguration]);
    // The R503 manual allows N = 1, 2, 4, 6, 12 only.
    const r503 = rawHost({ model: "r503" });
    expect(confirmations(r503.send(Instruction.SetSysPara, Uint8Array.of(4, 3)))).toEqual([
      Confirmation.BadRegisterConfiguration,
    ]);
    expect(sysPara(host)).toMatchObject({ baud: 57_600, securityLevel: 3, packetSize: 128 });
  });

  it("keeps parameters and library over a power cycle but forgets RAM", () => {
    const host = rawHost();
    enrol(host, 4, 0);
    host.send(Instruction.SetSysPara, Uint8Array.of(6, 1));
    host.module.placeFinger(fingerFor(host.module, 4));
    host.send(Instruction.GenImg);
    host.module.powerOn();
    expect(confirmations(host.send(Instruction.UpImage))).toEqual([
      Confirmation.NoValidPrimaryImage,
    ]);
    expect(confirmations(host.send(Instruction.UpChar, Uint8Array.of(1)))).toEqual([
      Confirmation.UploadError,
    ]);
    expect(sysPara(host).packetSize).toBe(64);
    expect(u16(parameters(host.send(Instruction.TemplateNum)[0]))).toBe(1);
  });
});

describe("R30x simulator: library housekeeping", () => {
  it("gives 4-byte random codes, reproducible from a seed", () => {
    const codes = (seed: number): string[] => {
      const host = rawHost({ randomSeed: seed });
      return [1, 2, 3].map(() => {
        const [ack] = host.send(Instruction.GetRandomCode);
        expect(ack?.payload).toHaveLength(5);
        return Buffer.from(parameters(ack)).toString("hex");
      });
    };
    expect(codes(9)).toEqual(codes(9));
    expect(new Set(codes(9)).size).toBe(3);
    expect(codes(9)).not.toEqual(codes(10));
  });

  it("counts templates and maps them in the index table, 256 pages a window", () => {
    const host = rawHost();
    for (const page of [0, 9, 255, 256]) enrol(host, 5, page);
    expect(u16(parameters(host.send(Instruction.TemplateNum)[0]))).toBe(4);
    const window0 = parameters(host.send(Instruction.ReadIndexTable, Uint8Array.of(0))[0]);
    expect(window0).toHaveLength(32);
    expect([window0[0], window0[1], window0[31]]).toEqual([0b1, 0b10, 0b1000_0000]);
    expect(window0.slice(2, 31).every((b) => b === 0)).toBe(true);
    const window1 = parameters(host.send(Instruction.ReadIndexTable, Uint8Array.of(1))[0]);
    expect(window1[0]).toBe(1);
    expect(confirmations(host.send(Instruction.ReadIndexTable, Uint8Array.of(4)))).toEqual([
      Confirmation.PageOutOfRange,
    ]);
  });

  it("deletes a range with DeleteChar and everything with Empty", () => {
    const host = rawHost();
    for (const page of [3, 4, 5, 10]) enrol(host, 6, page);
    expect(confirmations(host.send(Instruction.DeleteChar, Uint8Array.of(0, 4, 0, 2)))).toEqual([
      0,
    ]);
    expect(host.module.library.pages()).toEqual([3, 10]);
    for (const args of [Uint8Array.of(0, 3, 0, 0), Uint8Array.of(0x03, 0xe7, 0, 2)])
      expect(confirmations(host.send(Instruction.DeleteChar, args))).toEqual([
        Confirmation.DeleteFailed,
      ]);
    expect(confirmations(host.send(Instruction.Empty))).toEqual([0]);
    expect(u16(parameters(host.send(Instruction.TemplateNum)[0]))).toBe(0);
  });

  it("answers 0x0B for a page beyond the library", () => {
    const host = rawHost({ librarySize: 10 });
    enrol(host, 7, 9);
    for (const instruction of [Instruction.Store, Instruction.LoadChar])
      expect(confirmations(host.send(instruction, Uint8Array.of(1, 0, 10)))).toEqual([
        Confirmation.PageOutOfRange,
      ]);
    expect(confirmations(host.send(Instruction.Search, Uint8Array.of(1, 0, 10, 0, 5)))).toEqual([
      Confirmation.PageOutOfRange,
    ]);
  });
});

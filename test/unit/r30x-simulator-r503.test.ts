import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import { uint32Bytes } from "../../drivers/r30x/frame.js";
import { packImage, unpackImage } from "../../drivers/r30x/image.js";
import { decodeSystemParameters } from "../../drivers/r30x/system-parameters.js";
import { READY_SIGNAL } from "../../hardware-sim/r30x/simulated-module.js";
import { confirmations, fingerFor, parameters, rawHost, u16 } from "../support/r30x-host.js";

const R503_ONLY = [
  Instruction.GetImageEx,
  Instruction.Cancel,
  Instruction.AuraLedConfig,
  Instruction.CheckSensor,
  Instruction.GetFwVer,
  Instruction.ReadProdInfo,
  Instruction.SoftRst,
  Instruction.HandShake,
];

const ascii = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString("latin1").replace(/\0+$/, "");

/** Traveller 2's print with only a 60x60 patch touching the glass. */
function smallPatch(): Uint8Array {
  const host = rawHost({ model: "r503" });
  const print = fingerFor(host.module, 2);
  return packImage(
    print.pixels.map((value, i) =>
      Math.abs((i % 192) - 96) < 30 && Math.abs(Math.floor(i / 192) - 96) < 30 ? value : 240,
    ),
  );
}

describe("R30x simulator: the R503 profile", () => {
  it("reports its own system parameters", () => {
    const host = rawHost({ model: "r503" });
    const parametersReply = decodeSystemParameters(
      parameters(host.send(Instruction.ReadSysPara)[0]),
    );
    expect(parametersReply).toMatchObject({ systemId: 0, librarySize: 200, baud: 57_600 });
  });

  it("is deaf after power-on until it sends 0x55", async () => {
    const host = rawHost({ model: "r503", startupMs: 30 });
    host.module.powerOn();
    expect(host.send(Instruction.HandShake)).toEqual([]);
    await sleep(60);
    expect([...host.bytes()]).toEqual([READY_SIGNAL]);
    expect(confirmations(host.send(Instruction.HandShake))).toEqual([Confirmation.Ok]);
  });

  it("acknowledges SoftRst, forgets RAM and the password, then sends 0x55", async () => {
    const host = rawHost({ model: "r503", password: 5, startupMs: 10 });
    host.send(Instruction.VfyPwd, uint32Bytes(5));
    host.module.placeFinger(fingerFor(host.module, 3));
    host.send(Instruction.GenImg);
    expect(confirmations(host.send(Instruction.SoftRst))).toEqual([Confirmation.Ok]);
    await sleep(40);
    expect(host.bytes().at(-1)).toBe(READY_SIGNAL);
    expect(confirmations(host.send(Instruction.UpImage))).toEqual([
      Confirmation.PasswordNotVerified,
    ]);
    host.send(Instruction.VfyPwd, uint32Bytes(5));
    expect(confirmations(host.send(Instruction.UpImage))).toEqual([
      Confirmation.NoValidPrimaryImage,
    ]);
  });

  it("answers the manual's AuraLedConfig example byte for byte and keeps the state", () => {
    const host = rawHost({ model: "r503" });
    host.raw(Uint8Array.from(Buffer.from("EF01FFFFFFFF01000735015006000094", "hex")));
    expect(Buffer.from(host.bytes()).toString("hex")).toBe("ef01ffffffff07000300000a");
    expect(host.module.aura).toEqual({ control: 1, speed: 0x50, colour: 6, cycles: 0 });
    expect(confirmations(host.send(Instruction.AuraLedConfig, Uint8Array.of(4, 0, 0, 0)))).toEqual([
      0,
    ]);
    expect(host.module.aura?.control).toBe(4);
    for (const args of [Uint8Array.of(7, 0, 1, 0), Uint8Array.of(3, 0, 8, 0)])
      expect(confirmations(host.send(Instruction.AuraLedConfig, args))).toEqual([
        Confirmation.PacketReceiveError,
      ]);
    host.module.powerOn();
    expect(host.module.aura).toBeUndefined();
  });

  it("describes itself with ReadProdInfo (46 bytes) and GetFwVer (32 bytes)", () => {
    const host = rawHost({ model: "r503" });
    const [ack] = host.send(Instruction.ReadProdInfo);
    expect(Buffer.from(host.bytes().subarray(7, 9)).toString("hex")).toBe("0031");
    const info = parameters(ack);
    expect(info).toHaveLength(46);
    expect(ascii(info.subarray(0, 16))).toBe("R503");
    expect([...info.subarray(28, 30)]).toEqual([1, 0]);
    expect([u16(info, 38), u16(info, 40), u16(info, 42), u16(info, 44)]).toEqual([
      192, 192, 1536, 200,
    ]);
    const [version] = host.send(Instruction.GetFwVer);
    expect(parameters(version)).toHaveLength(32);
    expect(ascii(parameters(version))).toMatch(/r503/);
  });

  it("judges quality in GetImageEx where GenImg does not", () => {
    const host = rawHost({ model: "r503" });
    expect(confirmations(host.send(Instruction.GetImageEx))).toEqual([Confirmation.NoFinger]);
    host.module.placeFinger(fingerFor(host.module, 4));
    expect(confirmations(host.send(Instruction.GetImageEx))).toEqual([Confirmation.Ok]);
    host.send(Instruction.DownImage);
    host.sendData(smallPatch(), 128);
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(1)))).toEqual([
      Confirmation.TooFewFeaturePoints,
    ]);
    const patch = {
      width: 192,
      height: 192,
      resolutionPpi: 500,
      pixels: unpackImage(smallPatch(), 192, 192),
    };
    const patchSource = rawHost({ model: "r503", fingerSource: { current: () => patch } });
    expect(confirmations(patchSource.send(Instruction.GenImg))).toEqual([Confirmation.Ok]);
    expect(confirmations(patchSource.send(Instruction.GetImageEx))).toEqual([
      Confirmation.TooFewFeaturePoints,
    ]);
  });

  it("has six character buffers and answers CheckSensor, Cancel and HandShake", () => {
    const host = rawHost({ model: "r503" });
    host.module.placeFinger(fingerFor(host.module, 6));
    host.send(Instruction.GenImg);
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(6)))).toEqual([0]);
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(7)))).toEqual([
      Confirmation.PacketReceiveError,
    ]);
    for (const instruction of [Instruction.CheckSensor, Instruction.Cancel, Instruction.HandShake])
      expect(confirmations(host.send(instruction))).toEqual([Confirmation.Ok]);
  });

  it("leaves the R503 additions unknown to a classic module, which answers 0x01", () => {
    for (const model of ["r307", "r305", "as608", "zfm20"] as const) {
      const host = rawHost({ model });
      for (const instruction of R503_ONLY) {
        const args =
          instruction === Instruction.AuraLedConfig ? Uint8Array.of(3, 0, 1, 0) : undefined;
        expect(confirmations(host.send(instruction, args))).toEqual([
          Confirmation.PacketReceiveError,
        ]);
      }
    }
  });
});

import { describe, expect, it } from "vitest";
import { encodeAura } from "../../drivers/r30x/aura.js";
import { Instruction, isRetransmitSafe, RETRANSMIT_SAFE } from "../../drivers/r30x/constants.js";
import { decodeProductInfo, encodeProductInfo } from "../../drivers/r30x/product-info.js";
import type { IndicatorState } from "../../drivers/sensor.js";

// "R503", "2301", "00001234", hardware 1.2, "FPC1021", 192 x 192, 1536-byte templates, 200 pages.
const PRODUCT_INFO = Uint8Array.from(
  (
    "52 35 30 33 00 00 00 00 00 00 00 00 00 00 00 00 32 33 30 31 " +
    "30 30 30 30 31 32 33 34 01 02 46 50 43 31 30 32 31 00 00 C0 00 C0 06 00 00 C8"
  )
    .split(" ")
    .map((byte) => Number.parseInt(byte, 16)),
);

describe("R30x retransmission safety", () => {
  it("says for every instruction whether a lost reply may be retried", () => {
    expect(Object.keys(RETRANSMIT_SAFE).sort()).toEqual(Object.keys(Instruction).sort());
    const safe = ["ReadSysPara", "TemplateNum", "ReadIndexTable", "VfyPwd", "HandShake"] as const;
    const alsoSafe = ["ReadProdInfo", "GetFwVer", "LoadChar", "Match", "Search"] as const;
    for (const name of [...safe, ...alsoSafe])
      expect(isRetransmitSafe(Instruction[name])).toBe(true);
    const unsafe = ["Store", "DeleteChar", "Empty", "SetSysPara", "SetPwd", "SetAddr"] as const;
    for (const name of [...unsafe, "RegModel", "DownChar", "DownImage"] as const) {
      expect(isRetransmitSafe(Instruction[name])).toBe(false);
    }
    expect(isRetransmitSafe(0x99)).toBe(false);
  });
});

describe("R30x aura and product information", () => {
  it("maps every pattern and colour to AuraLedConfig's argument bytes", () => {
    expect([...encodeAura({ pattern: "off" })]).toEqual([0x04, 0x00, 0x01, 0x00]);
    expect([...encodeAura({ pattern: "steady", colour: "white" })]).toEqual([3, 0x50, 7, 0]);
    expect([...encodeAura({ pattern: "flashing", colour: "red", speed: 9, cycles: 3 })]).toEqual([
      2, 9, 1, 3,
    ]);
    expect([...encodeAura({ pattern: "fade-in", colour: "blue" })]).toEqual([5, 0x50, 2, 0]);
    expect([...encodeAura({ pattern: "fade-out", colour: "purple" })]).toEqual([6, 0x50, 3, 0]);
    const colours = ["green", "yellow", "cyan"] as const;
    expect(colours.map((colour) => encodeAura({ pattern: "breathing", colour })[2])).toEqual([
      4, 5, 6,
    ]);
  });

  it("takes a sensor indicator state as it is", () => {
    const state: IndicatorState = { pattern: "breathing", colour: "green", cycles: 2 };
    expect([...encodeAura(state)]).toEqual([1, 0x50, 4, 2]);
  });

  it("round-trips product information and ignores the reserved tail", () => {
    const info = decodeProductInfo(PRODUCT_INFO);
    expect(info).toEqual({
      model: "R503",
      batch: "2301",
      serial: "00001234",
      hardwareVersion: { major: 1, minor: 2 },
      sensorType: "FPC1021",
      imageWidth: 192,
      imageHeight: 192,
      templateSize: 1536,
      librarySize: 200,
    });
    expect(encodeProductInfo(info)).toEqual(PRODUCT_INFO);
    expect(decodeProductInfo(Uint8Array.from([...PRODUCT_INFO, 0, 0, 0, 0]))).toEqual(info);
  });
});

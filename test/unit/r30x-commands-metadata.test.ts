import { describe, expect, it } from "vitest";
import { encodeAura } from "../../drivers/r30x/aura.js";
import { Instruction, isRetransmitSafe, RETRANSMIT_SAFE } from "../../drivers/r30x/constants.js";
import { decodeProductInfo, encodeProductInfo } from "../../drivers/r30x/product-info.js";
import type { IndicatorState } from "../../drivers/sensor.js";
import { R503_PRODUCT_INFO, R503_PRODUCT_INFO_BYTES } from "../support/r30x-fixtures.js";

// "R503", "2301", "00001234", hardware 1.2, "FPC1021", 192 x 192, 1536-byte templates, 200 pages.
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
    const info = decodeProductInfo(Uint8Array.from(R503_PRODUCT_INFO_BYTES));
    expect(info).toEqual(R503_PRODUCT_INFO);
    expect(encodeProductInfo(info)).toEqual(Uint8Array.from(R503_PRODUCT_INFO_BYTES));
    expect(decodeProductInfo(Uint8Array.from([...R503_PRODUCT_INFO_BYTES, 0, 0, 0, 0]))).toEqual(
      info,
    );
  });
});

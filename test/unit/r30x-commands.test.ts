import { describe, expect, it } from "vitest";
import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import { CommandChannel } from "../../drivers/r30x/command-channel.js";
import { R30xCommands } from "../../drivers/r30x/commands.js";
import { Confirmation, Pid } from "../../drivers/r30x/constants.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { isSensorError } from "../../drivers/sensor.js";
import { loseBytesOnClosedLine } from "../support/closed-line.js";
import { ack, R503_PRODUCT_INFO, R503_PRODUCT_INFO_BYTES } from "../support/r30x-fixtures.js";
import { hex, ascii } from "../support/bytes.js";

const ADDRESS = 0xff_ff_ff_ff;

/**
 * A module that answers every command frame with `replies`, recording exactly
 * what arrived from the host, one entry per host write.
 */
function scripted(replies: readonly Uint8Array[]): {
  commands: R30xCommands;
  writes: Uint8Array[];
} {
  const { host, device } = createMemoryLinkPair();
  const writes: Uint8Array[] = [];
  const parser = new FrameParser({
    onFrame: (frame) => {
      if (frame.pid !== Pid.Command) return;
      for (const bytes of replies) device.write(bytes).catch(loseBytesOnClosedLine);
    },
  });
  device.onData((chunk) => {
    writes.push(chunk);
    parser.push(chunk);
  });
  const channel = new CommandChannel(host, { address: ADDRESS, label: "test" });
  return { commands: new R30xCommands(channel), writes };
}

interface Vector {
  readonly name: string;
  readonly run: (commands: R30xCommands) => Promise<unknown>;
  /** Summed by hand: PID + both LEN bytes + every payload byte, low 16 bits. */
  readonly request: string;
  readonly reply: Uint8Array;
  readonly result: unknown;
}

const INDEX_PAGE = Array.from({ length: 32 }, (_, i) => (i === 0 ? 0b101 : i === 31 ? 0x80 : 0));

const VECTORS: readonly Vector[] = [
  {
    name: "GenImg",
    run: (c) => c.genImg(),
    request: "EF 01 FF FF FF FF 01 00 03 01 00 05",
    reply: ack(Confirmation.Ok),
    result: "captured",
  },
  {
    name: "GenImg, no finger",
    run: (c) => c.genImg(),
    request: "EF 01 FF FF FF FF 01 00 03 01 00 05",
    reply: ack(Confirmation.NoFinger),
    result: "no-finger",
  },
  {
    name: "GetImageEx, poor image",
    run: (c) => c.getImageEx(),
    request: "EF 01 FF FF FF FF 01 00 03 28 00 2C",
    reply: ack(Confirmation.TooFewFeaturePoints),
    result: "poor-image",
  },
  {
    name: "Img2Tz buffer 1",
    run: (c) => c.img2Tz(1),
    request: "EF 01 FF FF FF FF 01 00 04 02 01 00 08",
    reply: ack(Confirmation.Ok),
    result: "extracted",
  },
  {
    name: "Img2Tz buffer 2, messy image",
    run: (c) => c.img2Tz(2),
    request: "EF 01 FF FF FF FF 01 00 04 02 02 00 09",
    reply: ack(Confirmation.ImageTooMessy),
    result: "image-too-messy",
  },
  {
    name: "Match",
    run: (c) => c.match(),
    request: "EF 01 FF FF FF FF 01 00 03 03 00 07",
    reply: ack(Confirmation.Ok, [0x00, 0x64]),
    result: { matched: true, score: 100 },
  },
  {
    name: "Match, no match",
    run: (c) => c.match(),
    request: "EF 01 FF FF FF FF 01 00 03 03 00 07",
    reply: ack(Confirmation.NoMatch, [0x00, 0x00]),
    result: { matched: false },
  },
  {
    name: "Search",
    run: (c) => c.search(1, { start: 0, count: 1000 }),
    request: "EF 01 FF FF FF FF 01 00 08 04 01 00 00 03 E8 00 F9",
    // 07 + 00 07 + 00 + 00 05 + 00 64 = 0x77
    reply: hex("EF 01 FF FF FF FF 07 00 07 00 00 05 00 64 00 77"),
    result: { found: true, page: 5, score: 100 },
  },
  {
    name: "HighSpeedSearch, not found",
    run: (c) => c.highSpeedSearch(1, { start: 0, count: 1000 }),
    request: "EF 01 FF FF FF FF 01 00 08 1B 01 00 00 03 E8 01 10",
    reply: ack(Confirmation.NotFound, [0, 0, 0, 0]),
    result: { found: false },
  },
  {
    name: "RegModel",
    run: (c) => c.regModel(),
    request: "EF 01 FF FF FF FF 01 00 03 05 00 09",
    reply: ack(Confirmation.Ok),
    result: "merged",
  },
  {
    name: "RegModel, prints from different fingers",
    run: (c) => c.regModel(),
    request: "EF 01 FF FF FF FF 01 00 03 05 00 09",
    reply: ack(Confirmation.MergeFailed),
    result: "different-fingers",
  },
  {
    name: "Store",
    run: (c) => c.store(1, 5),
    request: "EF 01 FF FF FF FF 01 00 06 06 01 00 05 00 13",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "LoadChar",
    run: (c) => c.loadChar(2, 0x0102),
    request: "EF 01 FF FF FF FF 01 00 06 07 02 01 02 00 13",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "DeleteChar",
    run: (c) => c.deleteChar({ start: 3, count: 2 }),
    request: "EF 01 FF FF FF FF 01 00 07 0C 00 03 00 02 00 19",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "Empty",
    run: (c) => c.empty(),
    request: "EF 01 FF FF FF FF 01 00 03 0D 00 11",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "SetSysPara security level",
    run: (c) => c.setSystemParameter({ parameter: "security-level", level: 4 }),
    request: "EF 01 FF FF FF FF 01 00 05 0E 05 04 00 1D",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "SetSysPara baud",
    run: (c) => c.setSystemParameter({ parameter: "baud", multiplier: 12 }),
    request: "EF 01 FF FF FF FF 01 00 05 0E 04 0C 00 24",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "SetSysPara packet size",
    run: (c) => c.setSystemParameter({ parameter: "packet-size", bytes: 256 }),
    request: "EF 01 FF FF FF FF 01 00 05 0E 06 03 00 1D",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "ReadSysPara",
    run: (c) => c.readSystemParameters(),
    request: "EF 01 FF FF FF FF 01 00 03 0F 00 13",
    reply: ack(0, [...hex("00 04 00 09 00 C8 00 05 FF FF FF FF 00 03 00 0C")]),
    result: {
      statusRegister: 4,
      systemId: 9,
      librarySize: 200,
      securityLevel: 5,
      address: ADDRESS,
      packetSizeCode: 3,
      packetSize: 256,
      baudMultiplier: 12,
      baud: 115_200,
    },
  },
  {
    name: "SetPwd",
    run: (c) => c.setPassword(0x01020304),
    request: "EF 01 FF FF FF FF 01 00 07 12 01 02 03 04 00 24",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "VfyPwd",
    run: (c) => c.verifyPassword(0),
    request: "EF 01 FF FF FF FF 01 00 07 13 00 00 00 00 00 1B",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "GetRandomCode",
    run: (c) => c.getRandomCode(),
    request: "EF 01 FF FF FF FF 01 00 03 14 00 18",
    reply: ack(Confirmation.Ok, [0xde, 0xad, 0xbe, 0xef]),
    result: 0xde_ad_be_ef,
  },
  {
    name: "TemplateNum",
    run: (c) => c.templateCount(),
    request: "EF 01 FF FF FF FF 01 00 03 1D 00 21",
    reply: ack(Confirmation.Ok, [0x00, 0x2a]),
    result: 42,
  },
  {
    name: "ReadIndexTable",
    run: (c) => c.readIndexTable(1),
    request: "EF 01 FF FF FF FF 01 00 04 1F 01 00 25",
    reply: ack(Confirmation.Ok, [...INDEX_PAGE]),
    result: new Set([256, 258, 511]),
  },
  {
    name: "AuraLedConfig (the R503 manual's cyan breathing example)",
    run: (c) => c.setAura({ pattern: "breathing", colour: "cyan", speed: 0x50, cycles: 0 }),
    request: "EF 01 FF FF FF FF 01 00 07 35 01 50 06 00 00 94",
    reply: hex("EF 01 FF FF FF FF 07 00 03 00 00 0A"),
    result: undefined,
  },
  {
    name: "CheckSensor, faulty",
    run: (c) => c.checkSensor(),
    request: "EF 01 FF FF FF FF 01 00 03 36 00 3A",
    reply: ack(Confirmation.SensorHardwareError),
    result: "faulty",
  },
  {
    name: "GetFwVer",
    run: (c) => c.getFirmwareVersion(),
    request: "EF 01 FF FF FF FF 01 00 03 3A 00 3E",
    reply: ack(Confirmation.Ok, [...ascii("GR-503 V1.2", 32)]),
    result: "GR-503 V1.2",
  },
  {
    name: "ReadProdInfo",
    run: (c) => c.readProductInfo(),
    request: "EF 01 FF FF FF FF 01 00 03 3C 00 40",
    reply: ack(Confirmation.Ok, [...R503_PRODUCT_INFO_BYTES]),
    result: R503_PRODUCT_INFO,
  },
  {
    name: "SoftRst",
    run: (c) => c.softReset(),
    request: "EF 01 FF FF FF FF 01 00 03 3D 00 41",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "HandShake",
    run: (c) => c.handshake(),
    request: "EF 01 FF FF FF FF 01 00 03 40 00 44",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
  {
    name: "Cancel",
    run: (c) => c.cancel(),
    request: "EF 01 FF FF FF FF 01 00 03 30 00 34",
    reply: ack(Confirmation.Ok),
    result: undefined,
  },
];

describe("R30x commands: request bytes and replies", () => {
  it.each(VECTORS)("$name", async ({ run, request, reply, result }) => {
    const { commands, writes } = scripted([reply]);
    await expect(run(commands)).resolves.toEqual(result);
    expect(writes).toEqual([hex(request)]);
  });
});

describe("R30x commands: failures", () => {
  const failures = Object.values(Confirmation).filter((code) => code !== Confirmation.Ok);

  it.each(failures)("turns confirmation code %i into a device SensorError", async (code) => {
    const { commands } = scripted([ack(code)]);
    const error = await commands.empty().catch((e: unknown) => e);
    expect(isSensorError(error, "device")).toBe(true);
    expect((error as Error & { deviceCode: number }).deviceCode).toBe(code);
    expect((error as Error).message).toMatch(/^Empty: [a-z].* \(0x[0-9A-F]{2}\)$/);
    expect((error as Error).message).not.toContain("unknown");
  });

  it("names codes outside the table as unknown", async () => {
    const { commands } = scripted([ack(0x99)]);
    await expect(commands.store(1, 0)).rejects.toThrow("Store: unknown confirmation code (0x99)");
  });

  it("keeps value outcomes to the commands they belong to", async () => {
    // "no finger" is a GenImg answer; from Store it means something is badly wrong.
    const { commands } = scripted([ack(Confirmation.NoFinger)]);
    const error = await commands.store(1, 0).catch((e: unknown) => e);
    expect(isSensorError(error, "device")).toBe(true);
    await expect(scripted([ack(Confirmation.CaptureFailed)]).commands.genImg()).rejects.toThrow(
      "GenImg: enrolment or capture failed (0x03)",
    );
    await expect(scripted([ack(Confirmation.NoFinger)]).commands.img2Tz(1)).rejects.toSatisfy(
      (e: unknown) => isSensorError(e, "device") && e.deviceCode === Confirmation.NoFinger,
    );
  });

  it("reports a reply too short to decode as a protocol error", async () => {
    for (const run of [
      (c: R30xCommands) => c.match(),
      (c: R30xCommands) => c.search(1, { start: 0, count: 10 }),
      (c: R30xCommands) => c.templateCount(),
      (c: R30xCommands) => c.getRandomCode(),
      (c: R30xCommands) => c.readIndexTable(0),
      (c: R30xCommands) => c.readProductInfo(),
      (c: R30xCommands) => c.readSystemParameters(),
    ]) {
      const error = await run(scripted([ack(Confirmation.Ok, [0x01])]).commands).catch(
        (e: unknown) => e,
      );
      expect(isSensorError(error, "protocol")).toBe(true);
    }
  });

  it("refuses arguments the wire cannot carry before sending anything", async () => {
    const { commands, writes } = scripted([ack(Confirmation.Ok)]);
    const attempts = [
      commands.img2Tz(3 as 1),
      commands.store(1, 0x1_00_00),
      commands.loadChar(1, -1),
      commands.deleteChar({ start: 0, count: 0 }),
      commands.search(1, { start: 0, count: 70_000 }),
      commands.readIndexTable(4 as 0),
      commands.setSystemParameter({ parameter: "security-level", level: 6 as 5 }),
      commands.setSystemParameter({ parameter: "baud", multiplier: 13 }),
      commands.setSystemParameter({ parameter: "packet-size", bytes: 100 as 128 }),
      commands.verifyPassword(2 ** 32),
      commands.setAddress(-1),
      commands.setAura({ pattern: "flashing", colour: "red", cycles: 256 }),
      commands.downChar(1, new Uint8Array(0)),
    ];
    const outcomes = await Promise.allSettled(attempts);
    expect(outcomes.map((o) => o.status === "rejected" && o.reason instanceof RangeError)).toEqual(
      attempts.map(() => true),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([]);
  });
});

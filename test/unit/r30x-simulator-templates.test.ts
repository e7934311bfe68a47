import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Confirmation, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { packImage } from "../../drivers/r30x/image.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import {
  confirmations,
  fingerFor,
  joinData,
  parameters,
  rawHost,
  u16,
  type RawHost,
} from "../support/r30x-host.js";

const directories: string[] = [];
afterEach(async () => {
  for (const dir of directories.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempFile(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "basma-r30x-lib-"));
  directories.push(dir);
  return join(dir, name);
}

/** GenImg + Img2Tz of traveller `seed`'s finger `position` into `buffer`. */
function capture(host: RawHost, seed: number, buffer: number, position = 2): void {
  host.module.placeFinger(fingerFor(host.module, seed, position));
  expect(confirmations(host.send(Instruction.GenImg))).toEqual([Confirmation.Ok]);
  expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(buffer)))).toEqual([0]);
  host.module.liftFinger();
}

/** The classic enrolment: two captures, RegModel, Store. */
function enrol(host: RawHost, seed: number, page: number, position = 2): void {
  capture(host, seed, 1, position);
  capture(host, seed, 2, position);
  expect(confirmations(host.send(Instruction.RegModel))).toEqual([Confirmation.Ok]);
  expect(confirmations(host.send(Instruction.Store, Uint8Array.of(1, page >> 8, page)))).toEqual([
    0,
  ]);
}

function search(host: RawHost, instruction: number = Instruction.Search) {
  const [ack] = host.send(instruction, Uint8Array.of(1, 0, 0, 0x03, 0xe8));
  const found = parameters(ack);
  return { code: ack?.payload[0], page: u16(found, 0), score: u16(found, 2) };
}

describe("R30x simulator: feature extraction", () => {
  it("answers 0x15 to Img2Tz with no image and 0x01 for a buffer the model lacks", () => {
    const host = rawHost();
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(1)))).toEqual([
      Confirmation.NoValidPrimaryImage,
    ]);
    host.module.placeFinger(fingerFor(host.module, 1));
    host.send(Instruction.GenImg);
    for (const buffer of [0, 3])
      expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(buffer)))).toEqual([
        Confirmation.PacketReceiveError,
      ]);
  });

  it("sees no finger on an empty platen, even when the source returns an image", () => {
    const host = rawHost();
    const empty = renderSimplePrint({
      seed: 1,
      position: 2,
      width: 256,
      height: 288,
      present: false,
    });
    host.module.placeFinger(empty);
    expect(confirmations(host.send(Instruction.GenImg))).toEqual([Confirmation.NoFinger]);
  });

  it("answers 0x06 for a messy image and 0x07 for too little finger", () => {
    const host = rawHost();
    const noise = new Uint8Array(36_864).map((_, i) => (i * 2_654_435_761) >>> 24);
    expect(confirmations(host.send(Instruction.DownImage))).toEqual([0]);
    host.sendData(noise, 128);
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(1)))).toEqual([
      Confirmation.ImageTooMessy,
    ]);
    // Only a 100x100 patch of the print touches the glass.
    const print = fingerFor(host.module, 2);
    const inPatch = (i: number): boolean =>
      Math.abs((i % 256) - 128) < 50 && Math.abs(Math.floor(i / 256) - 144) < 50;
    const patch = print.pixels.map((value, i) => (inPatch(i) ? value : 240));
    host.send(Instruction.DownImage);
    host.sendData(packImage(patch), 128);
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(1)))).toEqual([
      Confirmation.TooFewFeaturePoints,
    ]);
  });

  it("gives every model its fixed template size", () => {
    for (const [model, size] of [
      ["r307", 512],
      ["zfm20", 512],
      ["r503", 1536],
    ] as const) {
      const host = rawHost({ model });
      capture(host, 3, 1);
      const [ack, ...packets] = host.send(Instruction.UpChar, Uint8Array.of(1));
      expect(ack?.payload[0]).toBe(Confirmation.Ok);
      expect(joinData(packets)).toHaveLength(size);
      expect(packets.at(-1)?.pid).toBe(Pid.EndData);
    }
  });
});

describe("R30x simulator: matching", () => {
  it("matches the same finger and rejects other fingers", () => {
    const host = rawHost();
    capture(host, 11, 1);
    capture(host, 11, 2);
    const [same] = host.send(Instruction.Match);
    expect(same?.payload[0]).toBe(Confirmation.Ok);
    expect(u16(parameters(same))).toBeGreaterThan(250);
    for (const [seed, position] of [
      [12, 2],
      [11, 7],
      [40, 3],
    ] as const) {
      capture(host, seed, 2, position);
      const [other] = host.send(Instruction.Match);
      expect(other?.payload[0]).toBe(Confirmation.NoMatch);
      expect(u16(parameters(other))).toBeLessThan(30);
    }
  });

  it("refuses to merge two different fingers with 0x0A", () => {
    const host = rawHost();
    capture(host, 21, 1);
    capture(host, 22, 2);
    expect(confirmations(host.send(Instruction.RegModel))).toEqual([Confirmation.MergeFailed]);
    host.module.powerOn();
    expect(confirmations(host.send(Instruction.RegModel))).toEqual([Confirmation.MergeFailed]);
  });

  it("finds an enrolled finger with Search and HighSpeedSearch, and only that one", () => {
    const host = rawHost();
    enrol(host, 31, 5);
    enrol(host, 32, 17);
    enrol(host, 33, 300);
    capture(host, 32, 1);
    for (const instruction of [Instruction.Search, Instruction.HighSpeedSearch]) {
      const found = search(host, instruction);
      expect(found.code).toBe(Confirmation.Ok);
      expect(found.page).toBe(17);
      expect(found.score).toBeGreaterThan(250);
    }
    capture(host, 34, 1);
    expect(search(host)).toEqual({ code: Confirmation.NotFound, page: 0, score: 0 });
    // Outside the searched range it is not found either.
    capture(host, 33, 1);
    const [ack] = host.send(Instruction.Search, Uint8Array.of(1, 0, 0, 0, 100));
    expect(ack?.payload[0]).toBe(Confirmation.NotFound);
  });

  it("loads a stored template back with LoadChar and answers 0x0C for an empty page", () => {
    const host = rawHost();
    enrol(host, 41, 2);
    host.module.powerOn();
    expect(confirmations(host.send(Instruction.LoadChar, Uint8Array.of(2, 0, 2)))).toEqual([0]);
    capture(host, 41, 1);
    expect(confirmations(host.send(Instruction.Match))).toEqual([Confirmation.Ok]);
    expect(confirmations(host.send(Instruction.LoadChar, Uint8Array.of(1, 0, 3)))).toEqual([
      Confirmation.BadTemplate,
    ]);
  });
});

describe("R30x simulator: template and image transfers", () => {
  it("round-trips a template through UpChar and DownChar", () => {
    const source = rawHost();
    capture(source, 51, 1);
    const template = joinData(source.send(Instruction.UpChar, Uint8Array.of(1)).slice(1));

    const target = rawHost({ packetSizeCode: 0 });
    expect(confirmations(target.send(Instruction.DownChar, Uint8Array.of(1)))).toEqual([0]);
    expect(target.sendData(template, 32)).toEqual([]);
    expect(confirmations(target.send(Instruction.Store, Uint8Array.of(1, 0, 8)))).toEqual([0]);
    capture(target, 51, 1);
    expect(search(target)).toMatchObject({ code: Confirmation.Ok, page: 8 });
  });

  it("takes nothing from a transfer of the wrong size or packet shape", () => {
    const host = rawHost();
    const template = new Uint8Array(512);
    const attempts: [Uint8Array, number][] = [
      [template.subarray(0, 384), 128],
      [new Uint8Array(640), 128],
      [template, 64],
    ];
    for (const [data, packetSize] of attempts) {
      expect(confirmations(host.send(Instruction.DownChar, Uint8Array.of(1)))).toEqual([0]);
      host.sendData(data, packetSize);
      expect(confirmations(host.send(Instruction.UpChar, Uint8Array.of(1)))).toEqual([
        Confirmation.UploadError,
      ]);
    }
  });

  it("answers 0x0E to DownChar into a buffer it does not have", () => {
    const host = rawHost();
    expect(confirmations(host.send(Instruction.DownChar, Uint8Array.of(3)))).toEqual([
      Confirmation.CannotReceiveDataPackets,
    ]);
  });

  it("answers 0x0C to storing a buffer that holds no valid template", () => {
    const host = rawHost();
    expect(confirmations(host.send(Instruction.Store, Uint8Array.of(1, 0, 0)))).toEqual([
      Confirmation.BadTemplate,
    ]);
    host.send(Instruction.DownChar, Uint8Array.of(1));
    host.sendData(new Uint8Array(512).fill(0x5a), 128);
    expect(confirmations(host.send(Instruction.Store, Uint8Array.of(1, 0, 0)))).toEqual([
      Confirmation.BadTemplate,
    ]);
  });

  it("abandons a transfer when a data packet arrives damaged, answering 0x01", () => {
    const host = rawHost();
    host.send(Instruction.DownImage);
    const image = packImage(fingerFor(host.module, 5).pixels);
    host.sendData(image.subarray(0, 1280), 128);
    const bad = new Uint8Array([
      0xef, 0x01, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00,
    ]);
    expect(confirmations(host.raw(bad))).toEqual([Confirmation.PacketReceiveError]);
    expect(host.sendData(image.subarray(1280), 128)).toEqual([]);
    expect(confirmations(host.send(Instruction.UpImage))).toEqual([
      Confirmation.NoValidPrimaryImage,
    ]);
  });

  it("extracts from an image downloaded with DownImage as from a captured one", () => {
    const host = rawHost();
    capture(host, 61, 1);
    expect(confirmations(host.send(Instruction.DownImage))).toEqual([0]);
    host.sendData(packImage(fingerFor(host.module, 61).pixels), 128);
    expect(confirmations(host.send(Instruction.Img2Tz, Uint8Array.of(2)))).toEqual([0]);
    expect(confirmations(host.send(Instruction.Match))).toEqual([Confirmation.Ok]);
    const uploaded = joinData(host.send(Instruction.UpImage).slice(1));
    expect(
      Buffer.from(uploaded).equals(Buffer.from(packImage(fingerFor(host.module, 61).pixels))),
    ).toBe(true);
  });
});

describe("R30x simulator: persistent library", () => {
  it("keeps the library in a file across module instances", async () => {
    const path = await tempFile("library.json");
    const first = rawHost({ libraryPath: path });
    enrol(first, 71, 12);
    enrol(first, 72, 13);
    first.send(Instruction.DeleteChar, Uint8Array.of(0, 13, 0, 1));

    const second = rawHost({ libraryPath: path });
    expect(second.module.library.pages()).toEqual([12]);
    capture(second, 71, 1);
    expect(search(second)).toMatchObject({ code: Confirmation.Ok, page: 12 });
    const file = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    expect(file).toMatchObject({ format: "basma-r30x-library", model: "r307", templateSize: 512 });
  });

  it("refuses a file of another model or format, naming the file", async () => {
    const path = await tempFile("library.json");
    const r503 = rawHost({ model: "r503", libraryPath: path });
    enrol(r503, 81, 0);
    expect(() => new SimulatedR30xModule({ model: "r307", libraryPath: path })).toThrow(
      new RegExp(`${path}.*r503`),
    );
    await writeFile(path, JSON.stringify({ format: "something-else" }));
    expect(() => new SimulatedR30xModule({ libraryPath: path })).toThrow(
      /not a basma-r30x-library/,
    );
    await writeFile(path, "{ not json");
    expect(() => new SimulatedR30xModule({ libraryPath: path })).toThrow(/not valid JSON/);
  });
});

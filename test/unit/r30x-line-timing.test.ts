import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Confirmation, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeCommand, type R30xFrame } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import { BITS_PER_BYTE, LinePacer } from "../../hardware-sim/r30x/line-pacer.js";
import { ModuleLine } from "../../hardware-sim/r30x/module-line.js";
import {
  SimulatedR30xModule,
  type SimulatedR30xOptions,
} from "../../hardware-sim/r30x/simulated-module.js";
import { BROADCAST } from "../support/r30x-host.js";

const lineMs = (bytes: number, baud: number): number => (bytes * BITS_PER_BYTE * 1000) / baud;

/** A paced line to a module, with every delivery to the host timestamped. */
function pacedRig(options: SimulatedR30xOptions, lineTiming = true) {
  const module = new SimulatedR30xModule(options);
  const line = new ModuleLine(module, { lineTiming });
  const arrivals: { at: number; bytes: number }[] = [];
  const frames: R30xFrame[] = [];
  const parser = new FrameParser({ onFrame: (frame) => frames.push(frame) });
  line.onToHost((bytes) => {
    arrivals.push({ at: performance.now(), bytes: bytes.length });
    parser.push(bytes);
  });
  const received = (): number => arrivals.reduce((total, a) => total + a.bytes, 0);
  /** Resolves with the time the `total`th byte arrived. */
  const until = async (total: number, timeoutMs: number): Promise<number> => {
    const deadline = performance.now() + timeoutMs;
    while (received() < total) {
      if (performance.now() > deadline) throw new Error(`only ${received()} of ${total} bytes`);
      await sleep(5);
    }
    return arrivals.at(-1)?.at ?? Number.NaN;
  };
  return { module, line, frames, arrivals, until };
}

describe("LinePacer", () => {
  it("carries 20 KB at 115200 baud within 2 % of the line time", async () => {
    const delivered: Uint8Array[] = [];
    let lastAt = 0;
    const pacer = new LinePacer((bytes) => {
      delivered.push(bytes.slice());
      lastAt = performance.now();
    });
    const data = Uint8Array.from({ length: 20_480 }, (_, i) => i & 0xff);
    const started = performance.now();
    for (let offset = 0; offset < data.length; offset += 1_024)
      pacer.write(data.subarray(offset, offset + 1_024), 115_200);
    const expected = lineMs(data.length, 115_200);
    await sleep(expected + 100);
    const elapsed = lastAt - started;
    expect(Buffer.concat(delivered).equals(Buffer.from(data))).toBe(true);
    expect(Math.abs(elapsed - expected) / expected).toBeLessThan(0.02);
    // Delivered steadily in slices, not in one burst at the end.
    expect(delivered.length).toBeGreaterThan(200);
  });

  it("does not bank idle time: a write after a pause starts from the moment it is made", async () => {
    let lastAt = 0;
    const pacer = new LinePacer(() => {
      lastAt = performance.now();
    });
    pacer.write(new Uint8Array(10), 9_600);
    await sleep(100);
    const started = performance.now();
    pacer.write(new Uint8Array(96), 9_600);
    await sleep(lineMs(96, 9_600) + 40);
    expect(lastAt - started).toBeGreaterThanOrEqual(lineMs(96, 9_600) - 1);
  });

  it("keeps each chunk at the speed it was written with and forgets everything on clear", async () => {
    let total = 0;
    const pacer = new LinePacer((bytes) => {
      total += bytes.length;
    });
    pacer.write(new Uint8Array(48), 9_600);
    pacer.write(new Uint8Array(1_152), 115_200);
    await sleep(lineMs(48, 9_600) + lineMs(1_152, 115_200) + 30);
    expect(total).toBe(1_200);
    pacer.write(new Uint8Array(1_000), 9_600);
    await sleep(50);
    pacer.clear();
    const atClear = total;
    expect(atClear).toBeLessThan(1_200 + 1_000);
    await sleep(50);
    expect(total).toBe(atClear);
    expect(pacer.pendingBytes).toBe(0);
  });
});

describe("ModuleLine timing", () => {
  it("delivers at once with line timing off", () => {
    const rig = pacedRig({}, false);
    rig.line.fromHost(encodeCommand(BROADCAST, Instruction.TemplateNum));
    expect(rig.frames.map((f) => f.payload[0])).toEqual([Confirmation.Ok]);
  });

  it.concurrent("uploads an R503 image at 115200 baud in the line time, within 2 %", async () => {
    const rig = pacedRig({ model: "r503", baudMultiplier: 12, packetSizeCode: 3 });
    rig.module.placeFinger(renderSimplePrint({ seed: 1, position: 2, width: 192, height: 192 }));
    const genImg = encodeCommand(BROADCAST, Instruction.GenImg);
    rig.line.fromHost(genImg);
    await rig.until(12, 1_000);
    const upImage = encodeCommand(BROADCAST, Instruction.UpImage);
    const started = performance.now();
    rig.line.fromHost(upImage);
    // The command crosses the line, then the acknowledge and 72 packets of 256 + 11 bytes.
    const replyBytes = 12 + 18_432 + 72 * 11;
    const finished = await rig.until(12 + replyBytes, 5_000);
    const expected = lineMs(upImage.length + replyBytes, 115_200);
    expect(Math.abs(finished - started - expected) / expected).toBeLessThan(0.02);
    expect(rig.frames.filter((f) => f.pid === Pid.Data || f.pid === Pid.EndData)).toHaveLength(72);
  });

  it.concurrent(
    "uploads a 256x288 image at 57600 baud in about 7 s",
    async () => {
      const rig = pacedRig({ model: "r307" });
      rig.module.placeFinger(renderSimplePrint({ seed: 2, position: 7, width: 256, height: 288 }));
      rig.line.fromHost(encodeCommand(BROADCAST, Instruction.GenImg));
      await rig.until(12, 1_000);
      const started = performance.now();
      rig.line.fromHost(encodeCommand(BROADCAST, Instruction.UpImage));
      const replyBytes = 12 + 36_864 + 288 * 11;
      const finished = await rig.until(12 + replyBytes, 10_000);
      const expected = lineMs(12 + replyBytes, 57_600);
      expect(expected).toBeCloseTo(6_954, 0);
      expect(Math.abs(finished - started - expected) / expected).toBeLessThan(0.02);
    },
    15_000,
  );

  it("switches speed for the bytes after SetSysPara's acknowledge", async () => {
    const rig = pacedRig({ baudMultiplier: 1 });
    const setBaud = encodeCommand(BROADCAST, Instruction.SetSysPara, Uint8Array.of(4, 12));
    let started = performance.now();
    rig.line.fromHost(setBaud);
    const slow = (await rig.until(12, 1_000)) - started;
    // 14 command bytes and a 12-byte acknowledge, both at 9600 baud.
    expect(slow).toBeGreaterThanOrEqual(lineMs(26, 9_600) - 1);
    started = performance.now();
    rig.line.fromHost(encodeCommand(BROADCAST, Instruction.TemplateNum));
    const fast = (await rig.until(12 + 14, 1_000)) - started;
    expect(fast).toBeLessThan(lineMs(26, 9_600) / 2);
    expect(rig.module.baud).toBe(115_200);
  });
});

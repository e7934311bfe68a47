import { connect, type Socket } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import { encodeCommand, uint32Bytes } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import {
  loadScenario,
  parseScenario,
  ScenarioError,
} from "../../hardware-sim/r30x/fault-scenario.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { startTcpSerialServer } from "../../hardware-sim/r30x/tcp-serial-server.js";
import { BROADCAST, confirmations, rawHost, type RawHost } from "../support/r30x-host.js";

function problems(input: unknown): readonly string[] {
  try {
    parseScenario(input, "lab.json");
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  return [];
}

function faulty(faults: unknown[], seed = 1): RawHost {
  return rawHost({ scenario: parseScenario({ seed, faults }) });
}

describe("R30x simulator: fault scenario files", () => {
  it("names the bad key in every kind of mistake", () => {
    expect(
      problems({ faults: [{ kind: "unplug", durationMs: 5, atCommand: 2, after: 1 }] }),
    ).toEqual(["faults[0].after: unknown key"]);
    expect(problems({ faults: [{ kind: "explode", atCommand: 1 }] })[0]).toMatch(
      /^faults\[0\]\.kind: expected kind to be one of unplug, no-reply, delay/,
    );
    expect(problems({ faults: [{ kind: "no-reply" }] })).toEqual([
      "faults[0]: give a trigger: atCommand, instructions or probability",
    ]);
    expect(problems({ faults: [{ kind: "error-code", code: "0x1ZZ", atCommand: 1 }] })).toEqual([
      'faults[0].code: expected 0-255 or a hex string such as "0x29"',
    ]);
    expect(
      problems({ faults: [{ kind: "error-code", code: 41, instructions: ["GenImage"] }] })[0],
    ).toMatch(
      /^faults\[0\]\.instructions\[0\]: expected an instruction code 0-255 or one of GenImg/,
    );
    expect(problems({ faults: [{ kind: "drop", probability: 1.5 }] })[0]).toMatch(
      /^faults\[0\]\.probability: /,
    );
    expect(problems({ seed: 1, faultz: [] })).toEqual(["faultz: unknown key"]);
  });

  it("resolves names and hex strings", () => {
    const scenario = parseScenario({
      seed: 3,
      faults: [
        { kind: "error-code", code: "0x29", instructions: ["GenImg", 2], times: 2 },
        { kind: "wrong-address", address: "0x0000002A", atCommand: 4 },
        { kind: "garbage", probability: 0.5 },
      ],
    });
    expect(scenario).toEqual({
      seed: 3,
      faults: [
        { action: { kind: "error-code", code: 0x29 }, trigger: { instructions: [1, 2], times: 2 } },
        { action: { kind: "wrong-address", address: 0x2a }, trigger: { atCommand: [4] } },
        { action: { kind: "garbage", bytes: 16 }, trigger: { probability: 0.5 } },
      ],
    });
  });

  it("reports a missing or malformed file by name", async () => {
    const dir = await mkdtemp(join(tmpdir(), "basma-scenario-"));
    try {
      const path = join(dir, "scenario.json");
      await expect(loadScenario(path)).rejects.toThrow(`${path}: invalid fault scenario`);
      await writeFile(path, "{ faults: [");
      await expect(loadScenario(path)).rejects.toThrow(/not valid JSON/);
      await writeFile(path, JSON.stringify({ faults: [{ kind: "delay", ms: 5, atCommand: 1 }] }));
      await expect(loadScenario(path)).resolves.toMatchObject({ seed: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("R30x simulator: injected faults", () => {
  it("reports sensor hardware errors where the scenario says", () => {
    const host = faulty([
      { kind: "error-code", code: "0x29", atCommand: 2 },
      { kind: "error-code", code: "0xFD", instructions: ["GenImg"], atCommand: [4, 5], times: 1 },
    ]);
    const answers = [1, 2, 3, 4, 5].map(() => confirmations(host.send(Instruction.GenImg))[0]);
    expect(answers).toEqual([0x02, 0x29, 0x02, 0xfd, 0x02]);
  });

  it("swallows a command it does not answer", () => {
    const host = faulty([{ kind: "no-reply", instructions: ["SetAddr"] }]);
    expect(host.send(Instruction.SetAddr, uint32Bytes(9))).toEqual([]);
    expect(host.module.address).toBe(BROADCAST);
    expect(confirmations(host.send(Instruction.TemplateNum))).toEqual([0]);
  });

  it("answers late and keeps later commands waiting behind the slow reply", async () => {
    const host = faulty([{ kind: "delay", ms: 60, atCommand: 1 }]);
    const started = performance.now();
    expect(host.send(Instruction.GenImg)).toEqual([]);
    expect(host.send(Instruction.TemplateNum)).toEqual([]);
    await sleep(90);
    expect(confirmations(host.frames)).toEqual([Confirmation.NoFinger, Confirmation.Ok]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(60);
  });

  it("answers from a wrong address", () => {
    const host = faulty([{ kind: "wrong-address", address: 0x1234, atCommand: 1 }]);
    const [reply] = host.send(Instruction.TemplateNum);
    expect(reply?.address).toBe(0x1234);
    expect(host.send(Instruction.TemplateNum)[0]?.address).toBe(BROADCAST);
  });

  it("drops, corrupts, duplicates and prefixes garbage to replies", () => {
    const clean = rawHost();
    clean.send(Instruction.ReadSysPara);
    const reference = clean.bytes();
    const damaged = (kind: string, bytes: number): Uint8Array => {
      const host = faulty([{ kind, bytes, atCommand: 1 }], 5);
      host.send(Instruction.ReadSysPara);
      return host.bytes();
    };
    expect(damaged("drop", 3)).toHaveLength(reference.length - 3);
    expect(damaged("duplicate", 2)).toHaveLength(reference.length + 2);
    const corrupt = damaged("corrupt", 1);
    expect(corrupt).toHaveLength(reference.length);
    expect(corrupt.filter((value, i) => value !== reference[i])).toHaveLength(1);
    const noisy = damaged("garbage", 9);
    expect(Buffer.from(noisy.subarray(9)).equals(Buffer.from(reference))).toBe(true);
  });

  it("fires probabilistic faults reproducibly from the seed", () => {
    const pattern = (seed: number): string => {
      const host = faulty([{ kind: "error-code", code: 0xfe, probability: 0.3 }], seed);
      return Array.from({ length: 40 }, () =>
        confirmations(host.send(Instruction.TemplateNum))[0] === 0xfe ? "x" : ".",
      ).join("");
    };
    expect(pattern(11)).toBe(pattern(11));
    expect(pattern(11)).not.toBe(pattern(12));
    const fired = pattern(11).split("x").length - 1;
    expect(fired).toBeGreaterThan(4);
    expect(fired).toBeLessThan(25);
  });

  it("unplugs the TCP line for the fault's duration, then powers up on reconnection", async () => {
    const module = new SimulatedR30xModule({
      model: "r503",
      startupMs: 5,
      scenario: parseScenario({ faults: [{ kind: "unplug", durationMs: 300, atCommand: 1 }] }),
    });
    const server = await startTcpSerialServer(module, { port: 0 });
    const open = (): Promise<{ socket: Socket; received: Buffer[]; closed: Promise<void> }> =>
      new Promise((resolve, reject) => {
        const received: Buffer[] = [];
        const socket = connect(server.port, "127.0.0.1", () => {
          resolve({ socket, received, closed });
        });
        const closed = new Promise<void>((done) => socket.once("close", () => done()));
        socket.on("data", (chunk: Buffer) => received.push(chunk));
        socket.once("error", reject);
      });
    try {
      const first = await open();
      await sleep(30);
      expect(Buffer.concat(first.received)).toEqual(Buffer.of(0x55));
      first.socket.write(encodeCommand(BROADCAST, Instruction.HandShake));
      await first.closed;
      const refused = await open();
      await refused.closed;
      expect(refused.received).toEqual([]);
      await sleep(320);
      const back = await open();
      const replies: number[] = [];
      const parser = new FrameParser({ onFrame: (frame) => replies.push(frame.payload[0] ?? -1) });
      await sleep(30);
      back.socket.write(encodeCommand(BROADCAST, Instruction.HandShake));
      await sleep(50);
      parser.push(Buffer.concat(back.received));
      expect(Buffer.concat(back.received)[0]).toBe(0x55);
      expect(replies).toEqual([Confirmation.Ok]);
      back.socket.destroy();
    } finally {
      await server.close();
      module.dispose();
    }
  });
});

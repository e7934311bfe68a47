import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ByteLink } from "../../drivers/link/byte-link.js";
import { CommandChannel } from "../../drivers/r30x/command-channel.js";
import { R30xCommands, RETRANSMISSIONS, type CommandOptions } from "../../drivers/r30x/commands.js";
import { Confirmation, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame, MAX_PAYLOAD_LENGTH } from "../../drivers/r30x/frame.js";
import { isSensorError } from "../../drivers/sensor.js";

const SOAK = process.env.BASMA_SOAK === "1";
const FRAMES = SOAK ? 1_000_000 : 100_000;
const SEED = Number(process.env.BASMA_FUZZ_SEED ?? 0x5eed);
const TIMEOUT_MS = 1_000;
const ADDRESS = 0xff_ff_ff_ff;
const MAX_HEAP_GROWTH = 50 * 1024 * 1024;

/** mulberry32: small, fast and repeatable, so a failure can be replayed from its seed. */
function prng(seed: number): { int: (below: number) => number; chance: (p: number) => boolean } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { int: (below) => Math.floor(next() * below), chance: (p) => next() < p };
}

/** The host end of a line whose device side is this test: writes vanish, replies are pushed in. */
class ScriptedLine implements ByteLink {
  readonly #listeners = new Set<(chunk: Uint8Array) => void>();

  write(): Promise<void> {
    return Promise.resolve();
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  onClose(): () => void {
    return () => undefined;
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  deliver(chunk: Uint8Array): void {
    for (const listener of this.#listeners) listener(chunk);
  }
}

type Random = ReturnType<typeof prng>;
type Operation = (commands: R30xCommands, options: CommandOptions) => Promise<unknown>;

const TEMPLATE = new Uint8Array(200).fill(0x5a);
const IMAGE = new Uint8Array(300).fill(0x77);

const OPERATIONS: readonly Operation[] = [
  (c, o) => c.genImg(o),
  (c, o) => c.getImageEx(o),
  (c, o) => c.img2Tz(1, o),
  (c, o) => c.match(o),
  (c, o) => c.search(1, { start: 0, count: 200 }, o),
  (c, o) => c.highSpeedSearch(2, { start: 10, count: 5 }, o),
  (c, o) => c.regModel(o),
  (c, o) => c.store(1, 7, o),
  (c, o) => c.loadChar(2, 7, o),
  (c, o) => c.upChar(1, 512, o),
  (c, o) => c.downChar(1, TEMPLATE, o),
  (c, o) => c.upImage(1_000, o),
  (c, o) => c.downImage(IMAGE, o),
  (c, o) => c.deleteChar({ start: 0, count: 3 }, o),
  (c, o) => c.empty(o),
  (c, o) => c.setSystemParameter({ parameter: "packet-size", bytes: 64 }, o),
  (c, o) => c.setSystemParameter({ parameter: "packet-size", bytes: 128 }, o),
  (c, o) => c.readSystemParameters(o),
  (c, o) => c.setPassword(1234, o),
  (c, o) => c.verifyPassword(0, o),
  (c, o) => c.getRandomCode(o),
  (c, o) => c.setAddress(ADDRESS, o),
  (c, o) => c.templateCount(o),
  (c, o) => c.readIndexTable(0, o),
  (c, o) => c.setAura({ pattern: "flashing", colour: "blue", cycles: 3 }, o),
  (c, o) => c.checkSensor(o),
  (c, o) => c.getFirmwareVersion(o),
  (c, o) => c.readProductInfo(o),
  (c, o) => c.softReset(o),
  (c, o) => c.handshake(o),
  (c, o) => c.cancel(o),
];

const CONFIRMATIONS = Object.values(Confirmation);

function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[random.int(items.length)];
  if (item === undefined) throw new RangeError("nothing to pick from");
  return item;
}

function randomBytes(random: Random, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => random.int(256));
}

/** A well-formed frame a module might plausibly send at any point of an exchange. */
function plausibleFrame(random: Random): Uint8Array {
  const address = random.chance(0.9) ? ADDRESS : random.int(2 ** 32);
  if (random.chance(0.6)) {
    const confirmation = random.chance(0.6)
      ? Confirmation.Ok
      : random.chance(0.9)
        ? pick(random, CONFIRMATIONS)
        : random.int(256);
    // Parameter lengths around the real ones (2, 4, 16, 32, 46) and beyond.
    const parameters = randomBytes(random, random.int(random.chance(0.8) ? 50 : 200));
    return encodeFrame({
      address,
      pid: Pid.Acknowledge,
      payload: Uint8Array.of(confirmation, ...parameters),
    });
  }
  const pid = random.chance(0.5) ? Pid.Data : random.chance(0.8) ? Pid.EndData : Pid.Command;
  const payload = randomBytes(random, 1 + random.int(MAX_PAYLOAD_LENGTH));
  return encodeFrame({ address, pid, payload });
}

/** Damages a frame the ways a noisy half-duplex line and confused firmware do. */
function mutate(random: Random, frame: Uint8Array): Uint8Array {
  const bytes = frame.slice();
  switch (random.int(8)) {
    case 0: {
      const at = random.int(bytes.length);
      bytes[at] = (bytes[at] ?? 0) ^ (1 << random.int(8));
      return bytes;
    }
    case 1:
      return bytes.subarray(0, random.int(bytes.length));
    case 2: {
      const start = random.int(bytes.length);
      const end = start + random.int(bytes.length - start + 1);
      return Uint8Array.from([...bytes.subarray(0, end), ...bytes.subarray(start)]);
    }
    case 3:
      // An undefined PID.
      bytes[6] = pick(random, [0x00, 0x03, 0x05, 0xff]);
      return bytes;
    case 4:
      new DataView(bytes.buffer).setUint32(2, random.int(2 ** 32));
      return bytes;
    case 5:
      new DataView(bytes.buffer).setUint16(7, 0x0103 + random.int(0xfefd));
      return bytes;
    case 6:
      return randomBytes(random, random.int(64));
    default:
      return bytes;
  }
}

/** Hands `bytes` over in a few random pieces. */
function deliver(random: Random, line: ScriptedLine, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) {
    const size = 1 + random.int(random.chance(0.5) ? bytes.length : 16);
    line.deliver(bytes.subarray(offset, offset + size));
    offset += size;
  }
}

describe("R30x command channel under hostile replies", () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeEach(() => {
    process.on("unhandledRejection", onUnhandled);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });

  afterEach(() => {
    vi.useRealTimers();
    process.off("unhandledRejection", onUnhandled);
  });

  it(
    `settles every command through ${FRAMES} random and damaged replies`,
    { timeout: SOAK ? 600_000 : 60_000 },
    async () => {
      const random = prng(SEED);
      const line = new ScriptedLine();
      const channel = new CommandChannel(line, { address: ADDRESS, label: "fuzz" });
      const commands = new R30xCommands(channel);
      const heapBefore = process.memoryUsage().heapUsed;
      const outcomes = { resolved: 0, device: 0, protocol: 0, "no-reply": 0, aborted: 0, other: 0 };
      const unexpected: unknown[] = [];
      let frames = 0;

      while (frames < FRAMES) {
        const abort = new AbortController();
        let unsettled = 1 + random.int(3);
        for (let i = unsettled; i > 0; i--) {
          const operation = pick(random, OPERATIONS);
          const signal = random.chance(0.05) ? abort.signal : undefined;
          operation(commands, { timeoutMs: TIMEOUT_MS, signal }).then(
            () => {
              outcomes.resolved++;
              unsettled--;
            },
            (error: unknown) => {
              unsettled--;
              if (!isSensorError(error)) unexpected.push(error);
              else if (error.kind in outcomes) outcomes[error.kind as keyof typeof outcomes]++;
              else outcomes.other++;
            },
          );
        }
        const burst = 1 + random.int(8);
        for (let i = 0; i < burst; i++, frames++) {
          const frame = plausibleFrame(random);
          deliver(random, line, random.chance(0.5) ? frame : mutate(random, frame));
          if (random.chance(0.02)) abort.abort();
          // Let acknowledged transfers write their data packets and queued commands start.
          await Promise.resolve();
        }
        // Whatever the replies left undecided, the time limits decide: up to four queued
        // commands, each with its retransmissions.
        for (let round = 0; unsettled > 0 && round < 4 * (1 + RETRANSMISSIONS) + 4; round++) {
          await vi.advanceTimersByTimeAsync(TIMEOUT_MS);
        }
        expect(unsettled, `seed ${SEED}: commands left hanging after ${frames} frames`).toBe(0);
      }

      await new Promise((resolve) => setImmediate(resolve));
      expect(unexpected).toEqual([]);
      expect(unhandled).toEqual([]);
      // Every way a command can end was reached, and nothing else happened.
      for (const kind of ["resolved", "device", "protocol", "no-reply", "aborted"] as const) {
        expect(outcomes[kind], kind).toBeGreaterThan(0);
      }
      expect(outcomes.other).toBe(0);
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(MAX_HEAP_GROWTH);
    },
  );
});

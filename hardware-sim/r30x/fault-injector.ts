import { mulberry32, type Prng } from "../prints/prng.js";
import type { FaultAction, Scenario, Trigger } from "./fault-scenario.js";

/** Where a frame's address sits: after the two start-code bytes. */
const ADDRESS_OFFSET = 2;

/**
 * Runs a scenario: decides, command by command, which faults fire, and damages
 * replies accordingly. Every random choice comes from the scenario's seeded PRNG, so
 * the same command sequence always meets the same faults.
 */
export class FaultInjector {
  readonly random: Prng;
  readonly #faults: { readonly action: FaultAction; readonly trigger: Trigger; fired: number }[];

  constructor(scenario: Scenario) {
    this.random = mulberry32(scenario.seed);
    this.#faults = scenario.faults.map((fault) => ({ ...fault, fired: 0 }));
  }

  /** The faults for the `count`th command (1-based) the module received. */
  onCommand(instruction: number, count: number): FaultAction[] {
    const actions: FaultAction[] = [];
    for (const fault of this.#faults) {
      const { atCommand, instructions, probability, times } = fault.trigger;
      if (times !== undefined && fault.fired >= times) continue;
      if (atCommand !== undefined && !atCommand.includes(count)) continue;
      if (instructions !== undefined && !instructions.includes(instruction)) continue;
      // Drawn only for commands the other conditions selected, so adding a fault for
      // another instruction does not reshuffle this one.
      if (probability !== undefined && this.random() >= probability) continue;
      fault.fired++;
      actions.push(fault.action);
    }
    return actions;
  }

  /** A reply (its frames in order) as it arrives after the line-level faults. */
  damageReply(frames: readonly Uint8Array[], actions: readonly FaultAction[]): Uint8Array {
    let parts = frames.map((frame) => frame.slice());
    for (const action of actions) {
      if (action.kind !== "wrong-address") continue;
      parts = parts.map((frame) => {
        new DataView(frame.buffer, frame.byteOffset).setUint32(ADDRESS_OFFSET, action.address);
        return frame;
      });
    }
    let bytes: Buffer = Buffer.concat(parts);
    for (const action of actions) {
      switch (action.kind) {
        case "drop":
          bytes = this.#drop(bytes, action.bytes);
          break;
        case "corrupt":
          this.#corrupt(bytes, action.bytes);
          break;
        case "duplicate":
          bytes = this.#duplicate(bytes, action.bytes);
          break;
        case "garbage":
          bytes = Buffer.concat([this.garbage(action.bytes), bytes]);
          break;
        case "unplug":
        case "no-reply":
        case "delay":
        case "wrong-address":
        case "error-code":
          break;
      }
    }
    return new Uint8Array(bytes);
  }

  garbage(count: number): Uint8Array {
    return Uint8Array.from({ length: count }, () => Math.floor(this.random() * 256));
  }

  #position(length: number): number {
    return Math.floor(this.random() * length);
  }

  /** A run of `count` consecutive bytes lost, as a receiver overrun loses them. */
  #drop(bytes: Buffer, count: number): Buffer {
    if (bytes.length === 0) return bytes;
    const run = Math.min(count, bytes.length);
    const start = this.#position(bytes.length - run + 1);
    return Buffer.concat([bytes.subarray(0, start), bytes.subarray(start + run)]);
  }

  /** `count` bytes at random positions, each flipped in at least one bit. */
  #corrupt(bytes: Buffer, count: number): void {
    if (bytes.length === 0) return;
    for (let i = 0; i < count; i++) {
      const position = this.#position(bytes.length);
      const flip = 1 + Math.floor(this.random() * 255);
      bytes[position] = (bytes[position] ?? 0) ^ flip;
    }
  }

  /** A run of `count` bytes received twice. */
  #duplicate(bytes: Buffer, count: number): Buffer {
    if (bytes.length === 0) return bytes;
    const run = Math.min(count, bytes.length);
    const start = this.#position(bytes.length - run + 1);
    const repeated = bytes.subarray(start, start + run);
    return Buffer.concat([bytes.subarray(0, start + run), repeated, bytes.subarray(start + run)]);
  }
}

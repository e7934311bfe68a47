import { EdgeDebouncer } from "./debounce.js";
import {
  GpioError,
  describeLine,
  logicalValue,
  physicalLevel,
  type Gpio,
  type GpioInput,
  type GpioOutput,
  type InputChangeListener,
  type InputErrorListener,
  type InputLineConfig,
  type LineValue,
  type OutputLineConfig,
} from "./gpio.js";
import { InputWatchers } from "./input-watchers.js";
import { LineClaims } from "./line-claims.js";

/**
 * One change the agent made to an output (claiming one records its first, inactive
 * value), or one debounced change it saw on an input.
 */
export interface GpioTransition {
  /** Milliseconds since the epoch (Date.now(), so fake timers control it). */
  readonly at: number;
  readonly name: string;
  readonly line: number;
  readonly direction: "out" | "in";
  /** Logical: 1 is active. */
  readonly value: LineValue;
  /** Electrical, after activeLow. */
  readonly level: LineValue;
}

export interface SimulatedGpioOptions {
  /** Transitions kept, oldest dropped first: a lamp blinking for months must not fill memory. */
  readonly historyLimit?: number | undefined;
}

const DEFAULT_HISTORY_LIMIT = 1_000;

interface SimulatedOutputState {
  readonly config: OutputLineConfig;
  value: LineValue;
  fault: string | undefined;
}

interface SimulatedInputState {
  readonly config: InputLineConfig;
  /** What the world drives, electrically. */
  level: LineValue;
  /** The debounced value the agent last saw. */
  reported: LineValue;
  fault: string | undefined;
  readonly watchers: InputWatchers;
  readonly debouncer: EdgeDebouncer;
}

/**
 * Gate hardware in memory, for tests and the hardware simulator: the agent claims and
 * drives lines exactly as on a terminal, while the other side drives inputs (someone
 * steps up, the enclosure is opened), reads outputs, watches transitions, and makes
 * lines fail. Inputs are debounced like onoff debounces sysfs interrupts.
 */
export class SimulatedGpio implements Gpio {
  readonly backend = "simulated";
  readonly #claims = new LineClaims();
  readonly #outputs = new Map<string, SimulatedOutputState>();
  readonly #inputs = new Map<string, SimulatedInputState>();
  readonly #history: GpioTransition[] = [];
  readonly #historyLimit: number;
  readonly #transitionListeners = new Set<(transition: GpioTransition) => void>();

  constructor(options: SimulatedGpioOptions = {}) {
    this.#historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  }

  output(name: string, config: OutputLineConfig): GpioOutput {
    this.#claims.claim(name, config.line);
    const state: SimulatedOutputState = { config, value: 0, fault: undefined };
    this.#outputs.set(name, state);
    this.#record(name, config, "out", 0);
    const claims = this.#claims;
    const record = this.#record.bind(this);
    const label = describeLine(name, config.line);
    return {
      name,
      line: config.line,
      get value() {
        return state.value;
      },
      write(value: LineValue): void {
        claims.assertOpen(label);
        if (state.fault !== undefined) {
          throw new GpioError("io", `${label}: write failed: ${state.fault}`);
        }
        if (value === state.value) return;
        state.value = value;
        record(name, config, "out", value);
      },
    };
  }

  input(name: string, config: InputLineConfig): GpioInput {
    this.#claims.claim(name, config.line);
    const idleLevel = physicalLevel(0, config.activeLow);
    const watchers = new InputWatchers(0);
    const state: SimulatedInputState = {
      config,
      level: idleLevel,
      reported: 0,
      fault: undefined,
      watchers,
      debouncer: new EdgeDebouncer(config.debounceMs, () => {
        const value = logicalValue(state.level, config.activeLow);
        if (state.fault !== undefined || value === state.reported) return;
        state.reported = value;
        this.#record(name, config, "in", value);
        watchers.settled(value);
      }),
    };
    this.#inputs.set(name, state);
    const claims = this.#claims;
    const label = describeLine(name, config.line);
    return {
      name,
      line: config.line,
      read(): LineValue {
        claims.assertOpen(label);
        if (state.fault !== undefined) {
          throw new GpioError("io", `${label}: read failed: ${state.fault}`);
        }
        return logicalValue(state.level, config.activeLow);
      },
      watch(onChange: InputChangeListener, onError?: InputErrorListener): () => void {
        claims.assertOpen(label);
        return watchers.add(onChange, onError);
      },
    };
  }

  close(): void {
    if (!this.#claims.close()) return;
    for (const [name, state] of this.#outputs) {
      if (state.value === 1) {
        state.value = 0;
        this.#record(name, state.config, "out", 0);
      }
    }
    for (const state of this.#inputs.values()) {
      state.debouncer.cancel();
      state.watchers.clear();
    }
  }

  // The other side of the wires: what tests and the hardware simulator use.

  /** Drives an input as the world would, in logical terms (1: someone present, lid open). */
  setInput(name: string, value: LineValue): void {
    const state = this.#input(name);
    this.setInputLevel(name, physicalLevel(value, state.config.activeLow));
  }

  /** Drives an input's electrical level, for checking activeLow wiring. */
  setInputLevel(name: string, level: LineValue): void {
    const state = this.#input(name);
    if (this.#claims.closed || level === state.level) return;
    state.level = level;
    state.debouncer.edge();
  }

  /** An output's logical value (1: energised, lit, sounding); undefined if never claimed. */
  outputValue(name: string): LineValue | undefined {
    return this.#outputs.get(name)?.value;
  }

  /** An output's electrical level; undefined if never claimed. */
  outputLevel(name: string): LineValue | undefined {
    const state = this.#outputs.get(name);
    return state === undefined ? undefined : physicalLevel(state.value, state.config.activeLow);
  }

  /** Makes every read or write of the line throw, as a line lost to the kernel does; inputs' watchers hear it at once. */
  failLine(name: string, reason: string): void {
    const output = this.#outputs.get(name);
    if (output !== undefined) {
      output.fault = reason;
      return;
    }
    const input = this.#input(name);
    input.fault = reason;
    input.debouncer.cancel();
    input.watchers.failed(
      new GpioError("io", `${describeLine(name, input.config.line)}: read failed: ${reason}`),
    );
  }

  /** Ends failLine(); an input reports its current value again if it changed meanwhile. */
  repairLine(name: string): void {
    const output = this.#outputs.get(name);
    if (output !== undefined) {
      output.fault = undefined;
      return;
    }
    const input = this.#input(name);
    input.fault = undefined;
    input.debouncer.edge();
  }

  /** Recent transitions, oldest first (at most historyLimit). */
  get transitions(): readonly GpioTransition[] {
    return [...this.#history];
  }

  /** Transitions of one line, oldest first. */
  transitionsOf(name: string): readonly GpioTransition[] {
    return this.#history.filter((transition) => transition.name === name);
  }

  /** Called on every transition as it happens; returns an unsubscribe function. */
  onTransition(listener: (transition: GpioTransition) => void): () => void {
    this.#transitionListeners.add(listener);
    return () => this.#transitionListeners.delete(listener);
  }

  #input(name: string): SimulatedInputState {
    const state = this.#inputs.get(name);
    if (state === undefined) {
      const claimed = [...this.#inputs.keys()].join(", ") || "none";
      throw new Error(`no simulated input named "${name}" (claimed inputs: ${claimed})`);
    }
    return state;
  }

  #record(name: string, config: OutputLineConfig, direction: "out" | "in", value: LineValue): void {
    const transition: GpioTransition = {
      at: Date.now(),
      name,
      line: config.line,
      direction,
      value,
      level: physicalLevel(value, config.activeLow),
    };
    this.#history.push(transition);
    if (this.#history.length > this.#historyLimit) this.#history.shift();
    for (const listener of [...this.#transitionListeners]) listener(transition);
  }
}

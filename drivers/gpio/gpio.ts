/**
 * The one contract between the agent and the gate's GPIO lines (relay, lock, status
 * lamps, buzzer, presence sensor, tamper switch). The agent never imports a backend
 * directly; it gets a Gpio from createGpio(), so a character-device backend can replace
 * sysfs without the gate code noticing.
 *
 * Every value crossing this interface is logical: 1 means active (relay energised, lamp
 * lit, someone present, enclosure opened) whatever the wiring's polarity. Backends apply
 * activeLow, so no caller ever reasons about electrical levels.
 */

/** A line's logical value: 1 is active, 0 inactive. */
export type LineValue = 0 | 1;

export interface OutputLineConfig {
  /** The kernel's GPIO number (sysfs numbering). */
  readonly line: number;
  /** The line is active when electrically low (sinking relay drivers, common-anode LEDs). */
  readonly activeLow: boolean;
}

export interface InputLineConfig extends OutputLineConfig {
  /** A change is reported only once the line has stayed put this long; 0 reports every edge. */
  readonly debounceMs: number;
}

export interface GpioOutput {
  /** The role the line plays ("gateRelay", "ledGreen"); used in errors and logs. */
  readonly name: string;
  readonly line: number;
  /** The value last written; 0 from the moment the line is claimed. */
  readonly value: LineValue;
  /**
   * Drives the line. Synchronous on purpose: a relay must be closable from a process
   * "exit" handler, where nothing asynchronous runs. Throws GpioError on failure.
   */
  write(value: LineValue): void;
}

export type InputChangeListener = (value: LineValue) => void;
export type InputErrorListener = (error: GpioError) => void;

export interface GpioInput {
  readonly name: string;
  readonly line: number;
  /** The line's value now, undebounced. Throws GpioError on failure. */
  read(): LineValue;
  /**
   * Reports each debounced change (never the same value twice in a row). A line that
   * can no longer be read reports to onError; callers decide what a dead input means
   * (a dead tamper switch counts as tampering). Changes are relative to the last one
   * reported, so read() first for the value now. Returns an unsubscribe function.
   */
  watch(onChange: InputChangeListener, onError?: InputErrorListener): () => void;
}

/** "none": no gate hardware; "simulated": in-memory lines; "sysfs": /sys/class/gpio via onoff. */
export type GpioBackendKind = "none" | "simulated" | "sysfs";

export interface Gpio {
  readonly backend: GpioBackendKind;
  /**
   * Claims a line as an output, driven inactive from the first instant: a gate relay
   * must never pulse while the agent starts. Throws GpioError when the line is taken
   * (by this Gpio under another name, or by the kernel) or cannot be configured.
   */
  output(name: string, config: OutputLineConfig): GpioOutput;
  /** Claims a line as an input that reports changes on both edges. */
  input(name: string, config: InputLineConfig): GpioInput;
  /**
   * Drives every output inactive, stops every watch and releases (unexports) every
   * line. Safe to call more than once; lines used afterwards throw "closed".
   */
  close(): void;
}

export type GpioErrorKind =
  /** The backend cannot reach GPIO at all (no sysfs GPIO, no permission). */
  | "not-accessible"
  /** The line is already claimed, by this agent under another name or by the kernel. */
  | "line-in-use"
  /** Configuring, reading or writing the line failed. */
  | "io"
  /** Used after close(). */
  | "closed";

export class GpioError extends Error {
  override readonly name = "GpioError";
  constructor(
    readonly kind: GpioErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isGpioError(error: unknown, kind?: GpioErrorKind): error is GpioError {
  return error instanceof GpioError && (kind === undefined || error.kind === kind);
}

/** The electrical level for a logical value on a line wired as given. */
export function physicalLevel(value: LineValue, activeLow: boolean): LineValue {
  return activeLow ? (value === 1 ? 0 : 1) : value;
}

/** The logical value of an electrical level on a line wired as given (the same inversion). */
export const logicalValue: (level: LineValue, activeLow: boolean) => LineValue = physicalLevel;

/** "gateRelay (GPIO 17)": how errors and logs name a line. */
export function describeLine(name: string, line: number): string {
  return `${name} (GPIO ${line})`;
}

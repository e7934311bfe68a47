import { GpioError, describeLine } from "./gpio.js";

/**
 * Which names and line numbers a Gpio has handed out. Two roles on one line would let a
 * blinking lamp pulse the gate relay, so a second claim is refused, not shared.
 */
export class LineClaims {
  readonly #byName = new Map<string, number>();
  readonly #byLine = new Map<number, string>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Records the claim, or throws "line-in-use" / "closed" without recording anything. */
  claim(name: string, line: number): void {
    this.assertOpen(describeLine(name, line));
    const holder = this.#byLine.get(line);
    if (holder !== undefined) {
      throw new GpioError(
        "line-in-use",
        `GPIO ${line} cannot be claimed as ${name}: it is already ${holder}`,
      );
    }
    const existing = this.#byName.get(name);
    if (existing !== undefined) {
      throw new GpioError(
        "line-in-use",
        `${name} cannot be claimed on GPIO ${line}: it is already on GPIO ${existing}`,
      );
    }
    this.#byName.set(name, line);
    this.#byLine.set(line, name);
  }

  /** Marks every claim void; returns true the first time only. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  assertOpen(what: string): void {
    if (this.#closed) throw new GpioError("closed", `${what} used after the GPIO was closed`);
  }
}

import {
  describeLine,
  type Gpio,
  type GpioInput,
  type GpioOutput,
  type InputLineConfig,
  type LineValue,
  type OutputLineConfig,
} from "./gpio.js";
import { LineClaims } from "./line-claims.js";

/**
 * Backend "none": a terminal without gate hardware (desk enrolment, a developer's
 * laptop). Outputs remember what was written and drive nothing; inputs read inactive and
 * never change, so no session starts from presence and no tamper alarm is raised.
 * Claims are still checked, so a pin map that puts two roles on one line is refused
 * here too, before it reaches a terminal. Unlike the simulated backend it keeps no
 * history and offers no way to drive inputs: nothing is on the other side.
 */
export class NullGpio implements Gpio {
  readonly backend = "none";
  readonly #claims = new LineClaims();
  readonly #resets: (() => void)[] = [];

  output(name: string, config: OutputLineConfig): GpioOutput {
    this.#claims.claim(name, config.line);
    const claims = this.#claims;
    const label = describeLine(name, config.line);
    let current: LineValue = 0;
    this.#resets.push(() => (current = 0));
    return {
      name,
      line: config.line,
      get value() {
        return current;
      },
      write(value: LineValue): void {
        claims.assertOpen(label);
        current = value;
      },
    };
  }

  input(name: string, config: InputLineConfig): GpioInput {
    this.#claims.claim(name, config.line);
    const claims = this.#claims;
    const label = describeLine(name, config.line);
    return {
      name,
      line: config.line,
      read(): LineValue {
        claims.assertOpen(label);
        return 0;
      },
      watch(): () => void {
        claims.assertOpen(label);
        return () => undefined;
      },
    };
  }

  close(): void {
    if (!this.#claims.close()) return;
    for (const reset of this.#resets) reset();
  }
}

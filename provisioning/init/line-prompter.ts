import { createInterface, type Interface } from "node:readline";

/**
 * Questions on a terminal or a pipe. Lines are read through readline's async iterator,
 * which buffers them, so answers piped in ahead of their questions are not lost.
 */
export class LinePrompter {
  readonly #readline: Interface;
  readonly #lines: AsyncIterator<string>;
  readonly #write: (text: string) => void;

  constructor(input: NodeJS.ReadableStream, write: (text: string) => void) {
    this.#readline = createInterface({ input, terminal: false });
    this.#lines = this.#readline[Symbol.asyncIterator]();
    this.#write = write;
  }

  /** The next line typed, trimmed; undefined once the input has ended. */
  async ask(prompt: string): Promise<string | undefined> {
    this.#write(prompt);
    const next = await this.#lines.next();
    return next.done === true ? undefined : next.value.trim();
  }

  /** A yes/no question; Enter takes the default. Undefined once the input has ended. */
  async confirm(prompt: string, defaultYes: boolean): Promise<boolean | undefined> {
    for (;;) {
      const answer = await this.ask(`${prompt} [${defaultYes ? "Y/n" : "y/N"}] `);
      if (answer === undefined) return undefined;
      if (answer === "") return defaultYes;
      if (/^y(es)?$/i.test(answer)) return true;
      if (/^no?$/i.test(answer)) return false;
      this.#write("  please answer y or n\n");
    }
  }

  close(): void {
    this.#readline.close();
  }
}

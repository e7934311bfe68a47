import { Writable } from "node:stream";

export interface RecentLogOptions {
  /** Lines kept, oldest dropped first. */
  readonly maxLines?: number;
  /** A longer line is cut to this many characters. */
  readonly maxLineChars?: number;
}

/**
 * The agent's last log lines in memory, for the diagnostics bundle: a stream to add
 * beside stdout (pino.multistream). The lines are the logger's own output, so binary
 * values were already replaced by their length before they got here.
 */
export class RecentLog extends Writable {
  readonly #lines: string[] = [];
  readonly #maxLines: number;
  readonly #maxLineChars: number;
  #partial = "";

  constructor(options: RecentLogOptions = {}) {
    super();
    this.#maxLines = options.maxLines ?? 1_000;
    this.#maxLineChars = options.maxLineChars ?? 4_000;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    const parts = (this.#partial + chunk.toString()).split("\n");
    this.#partial = (parts.pop() ?? "").slice(0, this.#maxLineChars);
    for (const line of parts) if (line.trim() !== "") this.#push(line);
    done();
  }

  /** The last `count` lines, oldest first. */
  last(count: number): string[] {
    return count <= 0 ? [] : this.#lines.slice(-count);
  }

  #push(line: string): void {
    this.#lines.push(line.length > this.#maxLineChars ? line.slice(0, this.#maxLineChars) : line);
    if (this.#lines.length > this.#maxLines) this.#lines.shift();
  }
}

import { Writable } from "node:stream";
import { createLogger, type Logger } from "../../agent/log/logger.js";

export interface CapturedLog {
  readonly logger: Logger;
  /** Every line logged so far, parsed. */
  lines(): Record<string, unknown>[];
}

/** A real pino logger writing into memory, for asserting on what was logged. */
export function captureLog(level = "debug"): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split("\n"))
        if (text.trim() !== "") lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ name: "test", level, destination }), lines: () => lines };
}

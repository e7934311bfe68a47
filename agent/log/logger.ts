import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger } from "pino";

const LEVELS = new Set<string>(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);

/**
 * Biometric bytes (images, templates) must never reach a log line, whatever field
 * they hide in: every binary value is replaced by its length before serialisation.
 */
export function scrubBinary(value: unknown, depth = 0): unknown {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer)
    return `[binary ${value.byteLength} bytes]`;
  if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => scrubBinary(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = scrubBinary(inner, depth + 1);
  return out;
}

/** The level from BASMA_LOG_LEVEL when set and valid, else the configured one. */
export function resolveLogLevel(
  configured: string,
  env: NodeJS.ProcessEnv = process.env,
): LevelWithSilent {
  const fromEnv = env["BASMA_LOG_LEVEL"]?.trim().toLowerCase();
  if (fromEnv !== undefined && LEVELS.has(fromEnv)) return fromEnv as LevelWithSilent;
  return LEVELS.has(configured) ? (configured as LevelWithSilent) : "info";
}

export interface LoggerOptions {
  readonly level: string;
  readonly name: string;
  /** Where lines go; stdout (journald) unless a test captures them. */
  readonly destination?: pino.DestinationStream;
}

/** Structured JSON lines for journald: one object per line, ISO timestamps. */
export function createLogger(options: LoggerOptions): Logger {
  const errorSerializer = pino.stdSerializers.err;
  return pino(
    {
      name: options.name,
      level: resolveLogLevel(options.level),
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { pid: process.pid },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubBinary(object) as Record<string, unknown>,
      },
      serializers: { err: (error: Error) => scrubBinary(errorSerializer(error)) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

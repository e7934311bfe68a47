import { parseArgs, type ParseArgsConfig } from "node:util";

/** Exit codes shared by the CLIs (sysexits.h where one fits). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** EX_CONFIG: the configuration is invalid. */
  config: 78,
  /** Ended by Ctrl-C. */
  interrupted: 130,
} as const;

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** parseArgs with strict checking, its errors turned into readable usage errors. */
export function parseCommandLine<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: readonly string[],
  options: T,
  allowPositionals = false,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: boolean }>
> {
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ""));
  }
}

/** A whole number within bounds, or a usage error naming the option. */
export function parseIntegerOption(
  name: string,
  value: string | undefined,
  { min, max }: { min: number; max: number },
): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, got "${value}"`);
  }
  return parsed;
}

/** Runs a CLI's main, mapping thrown usage errors to exit 2 with a hint. */
export async function runCli(program: string, main: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${program}: ${error.message}\nTry '${program} --help'.\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`${program}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = EXIT.failure;
  }
}

/** Aborts on the first Ctrl-C or SIGTERM; a second one exits at once. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

/** Resolves when `signal` aborts (a long-running command's main wait). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

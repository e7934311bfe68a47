import type { ParseArgsConfig } from "node:util";
import { parseCommandLine } from "../agent/cli-support/cli.js";
import type { CommandIo } from "../agent/cli-support/command-io.js";
import { PATH_OPTIONS } from "./paths.js";

/** What every provisioning command that works on a terminal's files takes. */
const COMMON_OPTIONS = {
  ...PATH_OPTIONS,
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/**
 * A provisioning command's own options parsed beside the common ones (paths, --json,
 * --help). Returns undefined once it has printed `help` because --help was given: the
 * command then has nothing left to do but exit 0.
 */
export function parseProvisionOptions<T extends NonNullable<ParseArgsConfig["options"]>>(
  args: readonly string[],
  own: T,
  { help, io }: { readonly help: string; readonly io: CommandIo },
) {
  const { values } = parseCommandLine(args, { ...COMMON_OPTIONS, ...own });
  // Through the generic merge the compiler no longer sees the common keys; they are there.
  const common: { readonly help?: boolean | undefined } = values;
  if (common.help === true) {
    io.out(help);
    return undefined;
  }
  return values;
}

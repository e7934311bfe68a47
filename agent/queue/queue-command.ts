import { EXIT, UsageError } from "../cli-support/cli.js";
import { CommandFailure, type CommandIo } from "../cli-support/command-io.js";
import { exportRecords } from "./queue-export-command.js";
import { list, stats } from "./queue-inspect-commands.js";
import { recover } from "./queue-recover-command.js";

export const QUEUE_HELP = `Usage: basma-agent queue <command> [--config FILE] [options]

Looks into the agent's record queue (queue.path and queue.keyFile of the configuration).
Safe while the agent runs; none of these commands ever moves or deletes the queue file.

Commands:
  stats     counts by state, sizes, oldest and newest record, last seq, storage health,
            and whether the signed hash chain verifies
  list      one line of metadata per record (never a payload)
  export    write the records not yet acknowledged to a file, for hand delivery
  recover   salvage readable records from a damaged queue file into the current queue

Common options:
  -c, --config FILE   agent configuration (JSON); without it, the defaults
      --json          machine-readable output
  -h, --help          help for a command: basma-agent queue <command> --help

Exit status: 0 ok, 1 failure (or, for stats, a chain that does not verify),
2 bad arguments, 78 invalid configuration.
`;

const COMMANDS: Record<string, (args: readonly string[], output: CommandIo) => Promise<number>> = {
  stats,
  list,
  export: exportRecords,
  recover,
};

/**
 * `basma-agent queue <command> ...`: returns the exit code. Usage errors are thrown
 * (UsageError) for runCli to report; other failures are printed here.
 */
export async function runQueueCommand(args: readonly string[], output: CommandIo): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    output.err(QUEUE_HELP);
    return EXIT.usage;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    output.out(QUEUE_HELP);
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (run === undefined)
    throw new UsageError(`unknown queue command "${command}" (stats, list, export, recover)`);
  try {
    return await run(rest, output);
  } catch (error) {
    if (!(error instanceof CommandFailure)) throw error;
    output.err(`basma-agent queue ${command}: ${error.message}\n`);
    return error.exitCode;
  }
}

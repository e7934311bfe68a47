#!/usr/bin/env node
import { EXIT, parseCommandLine, runCli } from "./cli-support/cli.js";
import { ConfigError, loadAgentConfig } from "./config/load.js";
import { runDaemon } from "./daemon.js";
import { runQueueCommand } from "./queue/queue-command.js";
import { agentVersion } from "./version.js";

const HELP = `Usage: basma-agent [--config FILE] [options]
       basma-agent queue stats|list|export|recover [--config FILE] [options]

The Basma terminal agent: drives the fingerprint sensors, runs capture sessions,
queues every record in SQLite and delivers it to the centre over MQTT.

Options:
  -c, --config FILE   agent configuration (JSON); without it, the defaults, which
                      work against a local 'basma-sim stack --no-agent'
      --check-config  validate the configuration, print it with defaults filled in
                      (--json) or "ok", and exit
      --json          machine-readable output for --check-config
  -v, --version       print the version
  -h, --help          show this help

Commands:
  queue               inspect, export or recover the record queue
                      ('basma-agent queue --help')

Environment:
  BASMA_LOG_LEVEL     overrides logging.level (fatal, error, warn, info, debug, trace)

Exit status: 0 stopped cleanly, 1 runtime failure, 2 bad arguments, 78 invalid configuration.
`;

async function main(): Promise<number> {
  // A subcommand is a first argument that is not an option; without one, the daemon.
  if (process.argv[2] === "queue") {
    return runQueueCommand(process.argv.slice(3), {
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  }
  const { values } = parseCommandLine(process.argv.slice(2), {
    config: { type: "string", short: "c" },
    "check-config": { type: "boolean" },
    json: { type: "boolean" },
    version: { type: "boolean", short: "v" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (values.version === true) {
    process.stdout.write(`${agentVersion()}\n`);
    return EXIT.ok;
  }
  if (values["check-config"] === true) {
    let config;
    try {
      config = await loadAgentConfig(values.config);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`basma-agent: ${error.message}\n`);
      return EXIT.config;
    }
    process.stdout.write(
      values.json === true
        ? `${JSON.stringify(config, null, 2)}\n`
        : `${values.config ?? "defaults"}: ok\n`,
    );
    return EXIT.ok;
  }
  return runDaemon(values.config);
}

await runCli("basma-agent", main);

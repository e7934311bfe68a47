#!/usr/bin/env node
import { EXIT, runCli, UsageError } from "../agent/cli-support/cli.js";
import { agentVersion } from "../agent/version.js";
import { CommandFailure, type CommandIo } from "../agent/cli-support/command-io.js";
import { runDetectCommand } from "./detect/detect-command.js";
import { runEnrolCommand } from "./enrol/enrol-command.js";
import { runIdentityCommand } from "./identity/identity-command.js";
import { runInitCommand } from "./init/init-command.js";
import { runInstallCommand } from "./install/install-command.js";
import { runDecommissionCommand } from "./maintenance/decommission-command.js";
import { runRotateCertCommand } from "./maintenance/rotate-cert-command.js";
import { runSelftestCommand } from "./selftest/selftest-command.js";

const HELP = `Usage: basma-provision <command> [options]

Takes a terminal from a clean Debian/Ubuntu install to a registered, healthy, hardened
service. In order, on a new terminal:

  init           write the agent configuration (asks, or takes --from FILE and options)
  detect         find sensors on serial and USB, probe them, propose the sensors section
  install        service account, hardened systemd unit, udev rules, folders; enable
  enrol          key pair made here, certificate from the centre with the one-time claim
  selftest       sensor capture, gate outputs, broker over TLS, clock, disk, queue

Later:
  identity       make the device key and certificate signing request only
  rotate-cert    new key and certificate over the current TLS identity
  decommission   wipe keys, certificates and queue (refuses while records wait)

Every command takes --help, and --root DIR (or --config, --pki-dir, --state-dir) to
work on a folder instead of /.

Exit status: 0 ok, 1 failure, 2 bad arguments, 78 invalid configuration, 130 interrupted.
`;

type Command = (args: readonly string[], io: CommandIo) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  init: runInitCommand,
  detect: runDetectCommand,
  install: runInstallCommand,
  enrol: runEnrolCommand,
  identity: runIdentityCommand,
  selftest: runSelftestCommand,
  "rotate-cert": runRotateCertCommand,
  decommission: runDecommissionCommand,
};

const io: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  input: process.stdin,
};

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v") {
    io.out(`${agentVersion()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new UsageError(`unknown command "${name}"`);
  try {
    return await command(args, io);
  } catch (error) {
    if (!(error instanceof CommandFailure)) throw error;
    io.err(`basma-provision ${name}: ${error.message}\n`);
    return error.exitCode;
  } finally {
    // Prompts may have left stdin flowing; nothing more is read.
    process.stdin.pause();
  }
}

await runCli("basma-provision", main);

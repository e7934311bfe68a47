import { access, constants } from "node:fs/promises";
import { join, resolve } from "node:path";
import { packageRoot } from "../../agent/package-root.js";
import { EXIT, parseCommandLine, UsageError } from "../../agent/cli-support/cli.js";
import { CommandFailure, messageOf, type CommandIo } from "../../agent/cli-support/command-io.js";
import { systemCommandRunner, type CommandRunner } from "./command-runner.js";
import { installService, InstallFailure, type InstallStep } from "./install-service.js";
import { UNIT_NAME, unitPathProblem } from "./service-files.js";

export const INSTALL_HELP = `Usage: basma-provision install [--dry-run] [--root DIR] [--node PATH] [--app-dir DIR] [--json]

Installs the agent as a systemd service: the basma system user and group, the unit
(/etc/systemd/system/${UNIT_NAME}), udev rules giving the basma group the sensors and
GPIO (/etc/udev/rules.d/70-basma.rules), the tmpfiles entry and its folders
(/etc/basma 0750 root:basma, /var/lib/basma 0750 basma:basma); then reloads udev and
systemd, enables the service and starts it (once /etc/basma/agent.json exists).

Each step looks first and changes only what differs: running it again changes nothing
and says so. Needs root, except with --dry-run.

Options:
      --dry-run       say what would change, change nothing
      --root DIR      install into the system image under DIR instead of this machine:
                      files, accounts (useradd --prefix) and enablement only; nothing is
                      reloaded or started (default /)
      --node PATH     the node binary the service runs (default: the one running this)
      --app-dir DIR   the folder holding Basma's dist/ (default: this installation)
      --json          one JSON object: { root, dryRun, changes, steps: [...] }
  -h, --help          show this help

Exit status: 0 installed (or nothing to change), 1 a step failed (the steps before it
stay done; run it again after fixing the cause), 2 bad arguments.
`;

const STATUS_WORDS: Record<InstallStep["status"], string> = {
  changed: "done",
  unchanged: "unchanged",
  "would-change": "would do",
  skipped: "skipped",
};

function describeSteps(steps: readonly InstallStep[]): string {
  return steps
    .map((step) => {
      const line = `  ${STATUS_WORDS[step.status].padEnd(10)} ${step.action} ${step.target}`;
      return step.detail === undefined ? line : `${line}: ${step.detail}`;
    })
    .join("\n");
}

async function checkExists(root: string, path: string, what: string): Promise<void> {
  try {
    await access(join(root, path), constants.R_OK);
  } catch {
    throw new CommandFailure(`${what} ${join(root, path)} does not exist`);
  }
}

export interface InstallCommandSeams {
  /** Runs useradd, systemctl, udevadm; the real programs unless a test records them. */
  readonly runner?: CommandRunner;
  /** Whether the caller may change the system (root); tests of refusals override it. */
  readonly isRoot?: boolean;
}

/** `basma-provision install`: exit status as documented in INSTALL_HELP. */
export async function runInstallCommand(
  args: readonly string[],
  io: CommandIo,
  seams: InstallCommandSeams = {},
): Promise<number> {
  let values;
  try {
    ({ values } = parseCommandLine(args, {
      "dry-run": { type: "boolean" },
      root: { type: "string" },
      node: { type: "string" },
      "app-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    }));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`basma-provision install: ${error.message}\nTry 'basma-provision install --help'.\n`);
    return EXIT.usage;
  }
  if (values.help === true) {
    io.out(INSTALL_HELP);
    return EXIT.ok;
  }
  const root = resolve(values.root ?? "/");
  const dryRun = values["dry-run"] === true;
  const location = {
    nodePath: values.node ?? process.execPath,
    appDir: values["app-dir"] ?? packageRoot().dir,
  };
  for (const [option, path] of [
    ["--node", location.nodePath],
    ["--app-dir", location.appDir],
  ] as const) {
    const problem = unitPathProblem(path);
    if (problem !== undefined) {
      io.err(`basma-provision install: ${option}: ${problem}\n`);
      return EXIT.usage;
    }
  }

  let steps: readonly InstallStep[];
  try {
    if (!dryRun && !(seams.isRoot ?? process.getuid?.() === 0))
      throw new CommandFailure(
        "install changes system files and accounts and needs root (--dry-run shows what it would do)",
      );
    await checkExists(root, location.nodePath, "the node binary (--node)");
    await checkExists(
      root,
      join(location.appDir, "dist/agent/cli.js"),
      "the compiled agent (--app-dir)",
    );
    steps = await installService({
      root,
      dryRun,
      location,
      sourceDir: join(packageRoot().dir, "systemd"),
      runner: seams.runner ?? systemCommandRunner,
      live: root === "/",
    });
  } catch (error) {
    const done = error instanceof InstallFailure ? error.steps : [];
    if (values.json === true)
      io.out(
        `${JSON.stringify({ root, dryRun, error: messageOf(error), steps: done }, null, 2)}\n`,
      );
    else if (done.length > 0) io.out(`${describeSteps(done)}\n`);
    io.err(`basma-provision install: ${messageOf(error)}\n`);
    return error instanceof CommandFailure ? error.exitCode : EXIT.failure;
  }

  const changes = steps.filter(
    (step) => step.status === "changed" || step.status === "would-change",
  ).length;
  if (values.json === true) {
    io.out(`${JSON.stringify({ root, dryRun, changes, steps }, null, 2)}\n`);
    return EXIT.ok;
  }
  const heading = dryRun ? `dry run for ${root}: nothing was changed` : `install into ${root}`;
  const summary =
    changes === 0
      ? "nothing to change: the service is installed as it should be"
      : dryRun
        ? `${changes} change${changes === 1 ? "" : "s"} would be made`
        : `${changes} change${changes === 1 ? "" : "s"} made`;
  io.out(`${heading}\n${describeSteps(steps)}\n${summary}\n`);
  return EXIT.ok;
}

import { access, constants } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../atomic-file.js";
import {
  groupaddArgs,
  groupId,
  SERVICE_GROUP,
  SERVICE_USER,
  useraddArgs,
  userId,
} from "./accounts.js";
import { commandLine, type CommandRunner } from "./command-runner.js";
import {
  applyDirectory,
  describeDirectory,
  directoryState,
  parseTmpfilesDirectories,
} from "./directories.js";
import {
  AGENT_CONFIG,
  fileNeedsWrite,
  SYSTEM_FILE_MODE,
  systemFiles,
  UNIT_NAME,
  type AgentLocation,
  type SystemFile,
} from "./service-files.js";

export interface InstallOptions {
  /** "/" for this machine; any other folder is an offline image of one. */
  readonly root: string;
  readonly dryRun: boolean;
  readonly location: AgentLocation;
  /** The packaged systemd/ folder. */
  readonly sourceDir: string;
  readonly runner: CommandRunner;
  /**
   * Whether to talk to the running systemd and udev (reload, start). True for root "/";
   * an offline root only gets files, accounts and the enablement symlink.
   */
  readonly live: boolean;
}

export type StepStatus = "changed" | "unchanged" | "would-change" | "skipped";

export interface InstallStep {
  readonly action: string;
  readonly target: string;
  readonly status: StepStatus;
  readonly detail?: string;
}

/** A step failed; `steps` holds what had been done before it. */
export class InstallFailure extends Error {
  override readonly name = "InstallFailure";
  constructor(
    message: string,
    readonly steps: readonly InstallStep[],
  ) {
    super(message);
  }
}

class Installer {
  readonly steps: InstallStep[] = [];

  constructor(private readonly options: InstallOptions) {}

  private record(action: string, target: string, status: StepStatus, detail?: string): void {
    this.steps.push(
      detail === undefined ? { action, target, status } : { action, target, status, detail },
    );
  }

  /** Runs a command that changes the system, failing the install when it fails. */
  private async change(program: string, args: readonly string[]): Promise<void> {
    const result = await this.options.runner.run(program, args);
    if (result.code !== 0) {
      const why =
        result.code === 127
          ? `${program} not found`
          : result.stderr.trim() || `exit status ${result.code}`;
      throw new InstallFailure(`${commandLine(program, args)} failed: ${why}`, this.steps);
    }
  }

  /** A change step: recorded as would-change in a dry run, applied otherwise. */
  private async step(
    action: string,
    target: string,
    needed: boolean,
    apply: () => Promise<void>,
    detail?: string,
  ): Promise<boolean> {
    if (!needed) {
      this.record(action, target, "unchanged");
      return false;
    }
    if (this.options.dryRun) {
      this.record(action, target, "would-change", detail);
      return true;
    }
    await apply();
    this.record(action, target, "changed", detail);
    return true;
  }

  private get systemctlRoot(): string[] {
    return this.options.live ? [] : [`--root=${this.options.root}`];
  }

  async run(): Promise<void> {
    const { root, runner } = this.options;
    await this.step("group", SERVICE_GROUP, groupId(root, SERVICE_GROUP) === undefined, () =>
      this.change("groupadd", groupaddArgs(root)),
    );
    await this.step("user", SERVICE_USER, userId(root, SERVICE_USER) === undefined, () =>
      this.change("useradd", useraddArgs(root)),
    );

    const files = await systemFiles(this.options.sourceDir, this.options.location);
    const changedFiles = new Set<SystemFile["kind"]>();
    for (const file of files) {
      const wrote = await this.step("file", file.target, await fileNeedsWrite(root, file), () =>
        writeFileAtomic(join(root, file.target), file.contents, {
          mode: SYSTEM_FILE_MODE,
          owner: { name: "root", uid: 0, gid: 0 },
        }),
      );
      if (wrote) changedFiles.add(file.kind);
    }

    const tmpfiles = files.find((file) => file.kind === "tmpfiles");
    for (const spec of parseTmpfilesDirectories(tmpfiles?.contents ?? "")) {
      const state = await directoryState(root, spec);
      await this.step(
        "directory",
        describeDirectory(spec),
        state !== "ok",
        () => applyDirectory(root, spec),
        state === "missing" ? "was missing" : "had the wrong mode or owner",
      );
    }

    if (!this.options.live) {
      this.record("reload udev rules", "udevadm", "skipped", "not the running system (--root)");
    } else if (!changedFiles.has("udev-rules")) {
      this.record("reload udev rules", "udevadm", "unchanged");
    } else if ((await runner.run("udevadm", ["--version"])).code === 127) {
      this.record(
        "reload udev rules",
        "udevadm",
        "skipped",
        "udevadm not found; the rules apply from the next boot",
      );
    } else {
      await this.step("reload udev rules", "udevadm", true, async () => {
        await this.change("udevadm", ["control", "--reload"]);
        await this.change("udevadm", [
          "trigger",
          "--action=add",
          "--subsystem-match=tty",
          "--subsystem-match=usb",
          "--subsystem-match=gpio",
        ]);
      });
    }

    const unitChanged = changedFiles.has("unit");
    if (this.options.live)
      await this.step("reload systemd", "systemctl daemon-reload", unitChanged, () =>
        this.change("systemctl", ["daemon-reload"]),
      );

    const enabled = await runner.run("systemctl", [...this.systemctlRoot, "is-enabled", UNIT_NAME]);
    await this.step("enable", UNIT_NAME, enabled.stdout.trim() !== "enabled", () =>
      this.change("systemctl", [...this.systemctlRoot, "enable", UNIT_NAME]),
    );

    await this.start(unitChanged);
  }

  private async start(unitChanged: boolean): Promise<void> {
    if (!this.options.live) {
      this.record(
        "start",
        UNIT_NAME,
        "skipped",
        "not the running system (--root): it starts at that system's next boot",
      );
      return;
    }
    try {
      await access(join(this.options.root, AGENT_CONFIG), constants.R_OK);
    } catch {
      this.record(
        "start",
        UNIT_NAME,
        "skipped",
        `no ${AGENT_CONFIG} yet: run 'basma-provision init', then 'systemctl start ${UNIT_NAME}'`,
      );
      return;
    }
    const active = (
      await this.options.runner.run("systemctl", ["is-active", UNIT_NAME])
    ).stdout.trim();
    if (active === "active") {
      // A running agent keeps its old sandbox until restarted.
      await this.step(
        "restart",
        UNIT_NAME,
        unitChanged,
        () => this.change("systemctl", ["restart", UNIT_NAME]),
        "the unit changed",
      );
      return;
    }
    await this.step("start", UNIT_NAME, true, () => this.change("systemctl", ["start", UNIT_NAME]));
  }
}

/**
 * Puts the agent's service in place: service account, unit, udev rules, tmpfiles entry
 * and folders, then enables and starts it. Each step looks first and changes only what
 * differs, so a second run changes nothing; a dry run only looks.
 */
export async function installService(options: InstallOptions): Promise<InstallStep[]> {
  const installer = new Installer(options);
  await installer.run();
  return installer.steps;
}

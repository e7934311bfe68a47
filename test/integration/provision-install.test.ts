import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  systemCommandRunner,
  type CommandResult,
  type CommandRunner,
} from "../../provisioning/install/command-runner.js";
import { runInstallCommand } from "../../provisioning/install/install-command.js";
import { installService } from "../../provisioning/install/install-service.js";
import { repoRoot } from "../support/processes.js";

// Installs into a temporary system image with the real tools (groupadd/useradd
// --prefix, systemctl --root), as root; this machine's own accounts are never touched.

const isRoot = process.getuid?.() === 0;
const has = (program: string): boolean =>
  spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;
const canInstall = isRoot && has("useradd") && has("groupadd") && has("systemctl");

function captureIo(): {
  out(text: string): void;
  err(text: string): void;
  stdout(): string;
  stderr(): string;
} {
  let out = "";
  let err = "";
  return {
    out: (text) => (out += text),
    err: (text) => (err += text),
    stdout: () => out,
    stderr: () => err,
  };
}

/** Every path under `dir` with its type, mode, owner and contents, to compare runs. */
function snapshot(dir: string): string[] {
  const entries: string[] = [];
  const walk = (path: string): void => {
    const info = lstatSync(path);
    const what = info.isSymbolicLink()
      ? `-> ${readlinkSync(path)}`
      : info.isFile()
        ? readFileSync(path, "utf8")
        : "dir";
    entries.push(`${path} ${info.mode.toString(8)} ${info.uid}:${info.gid} ${what}`);
    if (info.isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
  };
  walk(dir);
  return entries;
}

describe.skipIf(!canInstall)("basma-provision install into a system image", () => {
  let root: string;
  const passwdLine = (): string | undefined =>
    readFileSync(join(root, "etc/passwd"), "utf8")
      .split("\n")
      .find((line) => line.startsWith("basma:"));

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "basma-install-"));
    mkdirSync(join(root, "etc"));
    // A minimal image: the host's account files (for system id ranges), a node binary
    // and a compiled agent where the unit will point.
    for (const file of ["passwd", "group", "shadow", "gshadow", "login.defs"])
      copyFileSync(join("/etc", file), join(root, "etc", file));
    mkdirSync(join(root, "usr/bin"), { recursive: true });
    writeFileSync(join(root, "usr/bin/node"), "", { mode: 0o755 });
    mkdirSync(join(root, "opt/basma/dist/agent"), { recursive: true });
    writeFileSync(join(root, "opt/basma/dist/agent/cli.js"), "");
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const install = async (
    ...extra: string[]
  ): Promise<{ code: number; out: string; err: string }> => {
    const io = captureIo();
    const code = await runInstallCommand(
      ["--root", root, "--node", "/usr/bin/node", "--app-dir", "/opt/basma", ...extra],
      io,
    );
    return { code, out: io.stdout(), err: io.stderr() };
  };

  it("--dry-run lists every step and changes nothing", async () => {
    const before = snapshot(root);
    const result = await install("--dry-run");
    expect(result.code).toBe(0);
    expect(snapshot(root)).toEqual(before);
    expect(result.out).toContain("dry run");
    for (const expected of [
      "would do   group basma",
      "would do   user basma",
      "would do   file /etc/systemd/system/basma-agent.service",
      "would do   file /etc/udev/rules.d/70-basma.rules",
      "would do   file /etc/tmpfiles.d/basma.conf",
      "would do   directory /etc/basma (0750 root:basma)",
      "would do   directory /var/lib/basma (0750 basma:basma)",
      "would do   enable basma-agent.service",
    ])
      expect(result.out).toContain(expected);
    expect(result.out).toMatch(/8 changes would be made/);
  });

  it("creates the account, files and folders, enables the unit, and a second run changes nothing", async () => {
    const first = await install();
    expect(first.err).toBe("");
    expect(first.code).toBe(0);
    expect(first.out).toContain("8 changes made");

    expect(passwdLine()).toMatch(
      /^basma:x:\d+:\d+:Basma terminal agent:\/var\/lib\/basma:\/usr\/sbin\/nologin$/,
    );
    const [, , uid, gid] = (passwdLine() ?? "").split(":").map(String);
    const unit = readFileSync(join(root, "etc/systemd/system/basma-agent.service"), "utf8");
    expect(unit).toContain(
      "ExecStart=/usr/bin/node /opt/basma/dist/agent/cli.js --config /etc/basma/agent.json",
    );
    expect(readFileSync(join(root, "etc/udev/rules.d/70-basma.rules"), "utf8")).toBe(
      readFileSync(join(repoRoot, "systemd/70-basma.rules"), "utf8"),
    );
    const state = statSync(join(root, "var/lib/basma"));
    expect([state.mode & 0o7777, String(state.uid), String(state.gid)]).toEqual([0o750, uid, gid]);
    const config = statSync(join(root, "etc/basma"));
    expect([config.mode & 0o7777, config.uid, String(config.gid)]).toEqual([0o750, 0, gid]);
    expect(
      readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/basma-agent.service")),
    ).toBe("/etc/systemd/system/basma-agent.service");

    const afterFirst = snapshot(root);
    const second = await install();
    expect(second.code).toBe(0);
    expect(second.out).toContain("nothing to change");
    expect(second.out).not.toMatch(/^ {2}done/m);
    expect(snapshot(root)).toEqual(afterFirst);

    const json = await install("--json");
    expect(JSON.parse(json.out)).toMatchObject({ root, dryRun: false, changes: 0 });
  });

  it("puts back only what was changed by hand", async () => {
    expect((await install()).code).toBe(0);
    writeFileSync(join(root, "etc/udev/rules.d/70-basma.rules"), "# edited\n");
    rmSync(join(root, "etc/systemd/system/multi-user.target.wants"), { recursive: true });
    const again = await install("--json");
    const report = JSON.parse(again.out) as {
      changes: number;
      steps: { action: string; status: string }[];
    };
    expect(report.changes).toBe(2);
    expect(
      report.steps.filter((step) => step.status === "changed").map((step) => step.action),
    ).toEqual(["file", "enable"]);
  });

  it("refuses an app folder the sandbox hides, a missing node, and a non-root real run", async () => {
    const hidden = await install("--app-dir", "/home/engineer/basma");
    expect(hidden.code).toBe(2);
    expect(hidden.err).toMatch(/ProtectHome/);

    const io = captureIo();
    const missing = await runInstallCommand(
      ["--root", root, "--node", "/usr/local/bin/node", "--app-dir", "/opt/basma"],
      io,
    );
    expect(missing).toBe(1);
    expect(io.stderr()).toMatch(/node binary .*usr\/local\/bin\/node does not exist/);

    const notRoot = captureIo();
    const before = snapshot(root);
    expect(
      await runInstallCommand(["--root", root, "--app-dir", "/opt/basma"], notRoot, {
        isRoot: false,
      }),
    ).toBe(1);
    expect(notRoot.stderr()).toMatch(/needs root/);
    expect(snapshot(root)).toEqual(before);
  });

  it("reports a failing step and keeps the steps done before it", async () => {
    const failingUseradd: CommandRunner = {
      run: (program, args) =>
        program === "useradd"
          ? Promise.resolve({ code: 9, stdout: "", stderr: "useradd: user 'basma' already exists" })
          : systemCommandRunner.run(program, args),
    };
    const io = captureIo();
    const code = await runInstallCommand(
      ["--root", root, "--node", "/usr/bin/node", "--app-dir", "/opt/basma"],
      io,
      { runner: failingUseradd },
    );
    expect(code).toBe(1);
    expect(io.stdout()).toContain("done       group basma");
    expect(io.stderr()).toMatch(/useradd .* failed: useradd: user 'basma' already exists/);
  });

  describe("on the running system", () => {
    // systemd and udev do not run in this sandbox: their commands are recorded and
    // answered here, while accounts, files and folders are made for real in the image.
    class FakeSystem implements CommandRunner {
      readonly calls: string[] = [];
      enabled = false;
      active = false;

      run(program: string, args: readonly string[]): Promise<CommandResult> {
        if (program === "groupadd" || program === "useradd")
          return systemCommandRunner.run(program, args);
        this.calls.push([program, ...args].join(" "));
        const reply = (stdout = ""): Promise<CommandResult> =>
          Promise.resolve({ code: 0, stdout, stderr: "" });
        const command = args.join(" ");
        if (command === "is-enabled basma-agent.service")
          return reply(this.enabled ? "enabled\n" : "disabled\n");
        if (command === "is-active basma-agent.service")
          return reply(this.active ? "active\n" : "inactive\n");
        if (command === "enable basma-agent.service") this.enabled = true;
        if (command === "start basma-agent.service") this.active = true;
        return reply();
      }
    }

    const installLive = (system: FakeSystem, dryRun = false): ReturnType<typeof installService> =>
      installService({
        root,
        dryRun,
        live: true,
        location: { nodePath: "/usr/bin/node", appDir: "/opt/basma" },
        sourceDir: join(repoRoot, "systemd"),
        runner: system,
      });

    it("reloads udev and systemd, enables and starts; then does nothing; restarts after a unit change", async () => {
      const system = new FakeSystem();
      const dry = await installLive(system, true);
      expect(system.calls.filter((call) => !/is-enabled|is-active|--version/.test(call))).toEqual(
        [],
      );
      expect(dry.find((step) => step.action === "start")?.status).toBe("skipped");

      mkdirSync(join(root, "etc/basma"), { recursive: true });
      writeFileSync(join(root, "etc/basma/agent.json"), "{}");
      system.calls.length = 0;
      await installLive(system);
      expect(system.calls).toEqual([
        "udevadm --version",
        "udevadm control --reload",
        "udevadm trigger --action=add --subsystem-match=tty --subsystem-match=usb --subsystem-match=gpio",
        "systemctl daemon-reload",
        "systemctl is-enabled basma-agent.service",
        "systemctl enable basma-agent.service",
        "systemctl is-active basma-agent.service",
        "systemctl start basma-agent.service",
      ]);

      system.calls.length = 0;
      const steps = await installLive(system);
      expect(system.calls).toEqual([
        "systemctl is-enabled basma-agent.service",
        "systemctl is-active basma-agent.service",
      ]);
      expect(steps.every((step) => step.status === "unchanged")).toBe(true);

      writeFileSync(join(root, "etc/systemd/system/basma-agent.service"), "[Service]\n");
      system.calls.length = 0;
      await installLive(system);
      expect(system.calls).toEqual([
        "systemctl daemon-reload",
        "systemctl is-enabled basma-agent.service",
        "systemctl is-active basma-agent.service",
        "systemctl restart basma-agent.service",
      ]);
    });
  });
});

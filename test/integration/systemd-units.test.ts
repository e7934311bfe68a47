import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatUsbId, SUPPORTED_USB_IDS } from "../../drivers/uru4000/models.js";
import { renderUnit, UNIT_NAME } from "../../provisioning/install/service-files.js";
import { repoRoot } from "../support/processes.js";

// The packaged unit, udev rules and tmpfiles entry, checked by systemd's own tools.

const hasAnalyze = spawnSync("sh", ["-c", "command -v systemd-analyze"]).status === 0;
const hasTmpfiles = spawnSync("sh", ["-c", "command -v systemd-tmpfiles"]).status === 0;
const packaged = (name: string): string => readFileSync(join(repoRoot, "systemd", name), "utf8");

describe.skipIf(!hasAnalyze)("systemd/basma-agent.service", () => {
  let dir: string;
  let unitPath: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "basma-units-"));
    unitPath = join(dir, UNIT_NAME);
    // As `basma-provision install` writes it, pointing at this node and this checkout
    // (verify checks that the ExecStart binary exists).
    writeFileSync(
      unitPath,
      renderUnit(packaged(UNIT_NAME), {
        nodePath: process.execPath,
        appDir: repoRoot.replace(/\/$/, ""),
      }),
    );
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes systemd-analyze verify without a warning about it", () => {
    const result = spawnSync("systemd-analyze", ["verify", unitPath], { encoding: "utf8" });
    const aboutUs = result.stderr.split("\n").filter((line) => line.includes(UNIT_NAME));
    expect(aboutUs).toEqual([]);
    expect(result.status).toBe(0);
  });

  it("has an exposure score of at most 2.0 in systemd-analyze security --offline", () => {
    const result = spawnSync(
      "systemd-analyze",
      ["security", "--offline=true", "--no-pager", unitPath],
      {
        encoding: "utf8",
      },
    );
    const match = /Overall exposure level for basma-agent\.service: (\d+(?:\.\d+)?)/.exec(
      result.stdout,
    );
    expect(match, result.stdout + result.stderr).not.toBeNull();
    const score = Number(match?.[1]);
    expect(score).toBeGreaterThan(0);
    expect(score).toBeLessThanOrEqual(2.0);
  });

  it("is a notify service with a watchdog, restarts within a start limit, and runs as basma", () => {
    // systemd-analyze reads the unit back; these are the settings the agent's code relies on.
    const text = readFileSync(unitPath, "utf8");
    const settings = new Map<string, string[]>();
    for (const line of text.split("\n")) {
      const at = line.indexOf("=");
      if (line.startsWith("#") || at < 0) continue;
      const key = line.slice(0, at);
      settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1)]);
    }
    expect(settings.get("Type")).toEqual(["notify"]);
    expect(settings.get("NotifyAccess")).toEqual(["main"]);
    expect(settings.get("WatchdogSec")).toHaveLength(1);
    expect(settings.get("Restart")).toEqual(["always"]);
    expect(settings.get("StartLimitBurst")).toHaveLength(1);
    expect(settings.get("RestartPreventExitStatus")).toEqual(["78"]);
    expect(settings.get("User")).toEqual(["basma"]);
    expect(settings.get("CapabilityBoundingSet")).toEqual([""]);
    expect(settings.get("DevicePolicy")).toEqual(["closed"]);
  });
});

describe("systemd/70-basma.rules", () => {
  const rules = packaged("70-basma.rules")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));

  it("is made of KEY==value / KEY=value / KEY+=value pairs", () => {
    const pair = /^\s*[A-Z_]+(\{[^}]+\})?\s*(==|!=|=|\+=|:=)\s*"[^"]*"\s*$/;
    for (const rule of rules)
      for (const part of rule.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/))
        expect(part.trim(), rule).toMatch(pair);
  });

  it("gives the basma group each supported reader and adapter, with autosuspend off", () => {
    const text = rules.join("\n");
    const ids = [
      ["10c4", "ea60"],
      ["1a86", "7523"],
      ["0403", "6001"],
      ["067b", "2303"],
    ];
    for (const [vendor, product] of ids) {
      expect(text).toContain(`ATTRS{idVendor}=="${vendor}", ATTRS{idProduct}=="${product}"`);
      expect(text).toContain(
        `ATTR{idVendor}=="${vendor}", ATTR{idProduct}=="${product}", ENV{BASMA_POWER}="on"`,
      );
    }
    // Every reader the U.are.U driver serves, from the driver's own table.
    for (const { vendorId, productId } of SUPPORTED_USB_IDS) {
      const [vendor, product] = formatUsbId(vendorId, productId).split(":");
      const rule = rules.find(
        (line) =>
          line.includes(`ATTR{idVendor}=="${vendor}"`) &&
          new RegExp(`ATTR\\{idProduct\\}=="[^"]*\\b${product}\\b`).test(line),
      );
      expect(rule, `no rule for ${vendor}:${product}`).toBeDefined();
      expect(rule, `${vendor}:${product}`).toContain('GROUP="basma"');
      expect(rule, `${vendor}:${product}`).toContain('ENV{BASMA_POWER}="on"');
    }
    expect(text).toContain('ATTR{power/control}="on"');
    expect(text).toContain('SYMLINK+="basma/fp%n"');
  });
});

describe.skipIf(!hasTmpfiles || process.getuid?.() !== 0)("systemd/basma.conf", () => {
  it("makes systemd-tmpfiles create /etc/basma and /var/lib/basma with their modes and owners", () => {
    const root = mkdtempSync(join(tmpdir(), "basma-tmpfiles-"));
    try {
      mkdirSync(join(root, "etc/tmpfiles.d"), { recursive: true });
      writeFileSync(
        join(root, "etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nbasma:x:990:990::/var/lib/basma:/usr/sbin/nologin\n",
      );
      writeFileSync(join(root, "etc/group"), "root:x:0:\nbasma:x:990:\n");
      writeFileSync(join(root, "etc/tmpfiles.d/basma.conf"), packaged("basma.conf"));
      const result = spawnSync("systemd-tmpfiles", ["--create", `--root=${root}`, "basma.conf"], {
        encoding: "utf8",
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const owner = (path: string): [string, number, number] => {
        const info = statSync(join(root, path));
        return [(info.mode & 0o7777).toString(8), info.uid, info.gid];
      };
      expect(owner("etc/basma")).toEqual(["750", 0, 990]);
      expect(owner("var/lib/basma")).toEqual(["750", 990, 990]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

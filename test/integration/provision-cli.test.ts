import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Outbox } from "../../agent/queue/outbox.js";
import { makeRecord } from "../support/records.js";
import { runProvision } from "../support/provision-cli.js";
import { ptySkipReason, startPtyModule } from "../support/r30x-pty.js";

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "basma-provision-cli-"));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});
const configPath = (): string => join(root, "etc/basma/agent.json");
/** The fewest options init takes without asking: the device's id and site. */
const minimalInitArgs = (): string[] => [
  "init",
  "--root",
  root,
  "--device-id",
  "gate-1",
  "--site",
  "lab",
];

describe("basma-provision init, interactive", () => {
  it("asks each question, re-asks a wrong answer with the schema's reason, and writes the answers", async () => {
    const answers = [
      "bad id!", // refused: not a valid device id
      "gate-12",
      "Airport T1",
      "", // lane: default 1
      "sideways", // refused
      "exit",
      "ftp://broker", // refused
      "mqtts://broker.example:8883",
      "", // topic prefix: default
      "tcp://127.0.0.1:5300",
      "r999", // refused
      "r503",
      "none",
    ];
    const run = await runProvision(
      ["init", "--root", root, "--interactive"],
      `${answers.join("\n")}\n`,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Device id \(part of MQTT topics\): +expected 1-64 letters/);
    expect(run.stderr).toMatch(
      /Direction \(entry\/exit\) \[entry\]: +Invalid option: expected one of "entry"\|"exit"/,
    );
    expect(run.stderr).toMatch(/expected an mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ URL/);
    expect(run.stderr).toMatch(
      /Sensor model \(r305\/r307\/r503\/as608\/zfm20\) \[r307\]: +Invalid option/,
    );
    const config = JSON.parse(await readFile(configPath(), "utf8")) as Record<
      string,
      Record<string, unknown>
    >;
    expect(config.device).toEqual({
      id: "gate-12",
      site: "Airport T1",
      lane: "1",
      direction: "exit",
    });
    expect(config.mqtt).toEqual({ url: "mqtts://broker.example:8883", topicPrefix: "basma" });
    expect(config.commands).toEqual({ replayStore: join(root, "var/lib/basma/commands.sqlite") });
    expect(config.sensors).toEqual([
      { id: "sensor-1", kind: "r30x", path: "tcp://127.0.0.1:5300", model: "r503" },
    ]);
  });

  it("stops with an error when the input ends before the last question", async () => {
    const run = await runProvision(["init", "--root", root, "--interactive"], "gate-12\nlab\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the input ended before every question was answered/);
    await expect(access(configPath())).rejects.toThrow(/ENOENT/);
  });
});

describe("basma-provision init, non-interactive", () => {
  it("lists every schema problem and exits 78", async () => {
    const run = await runProvision([
      "init",
      "--root",
      root,
      "--device-id",
      "a b",
      "--broker",
      "http://x",
    ]);
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/device\.id: expected 1-64 letters/);
    expect(run.stderr).toMatch(/device\.site: expected a non-empty string/);
    expect(run.stderr).toMatch(/mqtt\.url: expected an mqtt/);
    await expect(access(configPath())).rejects.toThrow(/ENOENT/);
  });

  it("refuses to replace a configuration without --force", async () => {
    const args = minimalInitArgs();
    expect((await runProvision(args)).code).toBe(0);
    const again = await runProvision(args);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    expect((await runProvision([...args, "--force"])).code).toBe(0);
  });
});

describe("basma-provision decommission", () => {
  async function initWithQueue(records: number): Promise<void> {
    const init = await runProvision(minimalInitArgs());
    expect(init.code, init.stderr).toBe(0);
    const state = join(root, "var/lib/basma");
    const outbox = Outbox.open(join(state, "queue.sqlite"), { keyFile: join(state, "device-key") });
    for (let i = 0; i < records; i++) outbox.enqueue(makeRecord(i));
    outbox.close();
    await mkdir(join(root, "etc/basma/pki"), { recursive: true });
    await writeFile(join(root, "etc/basma/pki/device.key"), "secret", { mode: 0o600 });
  }

  it("refuses while records wait, naming how many, and wipes nothing", async () => {
    await initWithQueue(3);
    const run = await runProvision(["decommission", "--root", root, "--yes"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/holds 3 record\(s\) the centre has not acknowledged/);
    await access(join(root, "etc/basma/pki/device.key"));
    await access(join(root, "var/lib/basma/queue.sqlite"));
  });

  it("wipes with --force, and says what was lost", async () => {
    await initWithQueue(2);
    const run = await runProvision(["decommission", "--root", root, "--yes", "--force"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/2 unacknowledged record\(s\) were lost/);
    await expect(access(join(root, "etc/basma/pki/device.key"))).rejects.toThrow(/ENOENT/);
    await expect(access(join(root, "var/lib/basma/queue.sqlite"))).rejects.toThrow(/ENOENT/);
    await expect(access(join(root, "var/lib/basma/device-key"))).rejects.toThrow(/ENOENT/);
  });

  it("asks for confirmation, and a no wipes nothing", async () => {
    await initWithQueue(0);
    const run = await runProvision(["decommission", "--root", root], "n\n");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Wipe the keys, certificates and queue of gate-1\? \[y\/N\]/);
    await access(join(root, "etc/basma/pki/device.key"));
  });
});

describe.skipIf(ptySkipReason !== undefined)("basma-provision detect", () => {
  it("probes a simulated R503 on a pseudo-terminal and proposes it, and fails on a dead path", async () => {
    const pty = await startPtyModule({ model: "r503" });
    try {
      const init = await runProvision(minimalInitArgs());
      expect(init.code).toBe(0);
      const run = await runProvision([
        "detect",
        "--root",
        root,
        "--by-id-dir",
        join(root, "no-by-id"),
        "--probe",
        pty.linkPath,
        "--probe",
        join(root, "ttyNothing"),
        "--timeout-ms",
        "1500",
        "--apply",
        "--json",
      ]);
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as {
        probes: { ok: boolean; path: string }[];
        sensors: unknown[];
      };
      expect(report.probes.map((probe) => [probe.path, probe.ok])).toEqual([
        [pty.linkPath, true],
        [join(root, "ttyNothing"), false],
      ]);
      expect(report.sensors).toEqual([
        { id: "sensor-1", kind: "r30x", path: pty.linkPath, model: "r503", baud: 57_600 },
      ]);
      const config = JSON.parse(await readFile(configPath(), "utf8")) as { sensors: unknown[] };
      expect(config.sensors).toEqual(report.sensors);
    } finally {
      await pty.close();
    }
  });
});

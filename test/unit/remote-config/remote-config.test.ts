import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../../agent/config/load.js";
import { agentConfigSchema, type AgentConfig } from "../../../agent/config/schema.js";
import { recoverConfigAtStartup } from "../../../agent/remote-config/config-recovery.js";
import { REDACTED } from "../../../agent/remote-config/redact-secrets.js";
import { RemoteConfig } from "../../../agent/remote-config/remote-config.js";
import { readState, type ConfigPaths } from "../../../agent/remote-config/remote-config-state.js";
import type { ReportedConfig } from "../../../agent/remote-config/reported-config.js";
import { captureLog } from "../../support/log-capture.js";
import { centre, stranger, tempDir, trustedKeys } from "../commands/command-fixtures.js";

const DEVICE_ID = "gate-7";
const LOCAL_CONFIG = {
  device: { id: DEVICE_ID, site: "airport-t1" },
  sensors: [{ id: "s1", kind: "r30x", path: "tcp://127.0.0.1:5300", password: 1234 }],
};

const stoppers: (() => void)[] = [];
afterEach(() => {
  for (const stop of stoppers.splice(0)) stop();
});

/** A terminal's configuration folder; null for a terminal running on the defaults. */
function terminal(initial: unknown = LOCAL_CONFIG) {
  const dir = tempDir("basma-remote-config-");
  const paths: ConfigPaths = { configPath: join(dir, "agent.json") };
  if (initial !== null)
    writeFileSync(paths.configPath, `${JSON.stringify(initial)}\n`, { mode: 0o640 });
  const reports: ReportedConfig[] = [];
  const restarts: string[] = [];
  const log = captureLog();
  /** One start of the agent: recovery, load, the remote-config component. */
  const start = (healthDeadlineMs = 5_000) => {
    const startup = recoverConfigAtStartup(paths);
    const running: AgentConfig = existsSync(paths.configPath)
      ? parseAgentConfig(JSON.parse(readFileSync(paths.configPath, "utf8")))
      : parseAgentConfig({});
    const remote = new RemoteConfig({
      paths,
      deviceId: running.device.id,
      keys: trustedKeys(),
      running,
      startup,
      healthDeadlineMs,
      publishReported: (payload) => {
        reports.push(JSON.parse(Buffer.from(payload).toString()) as ReportedConfig);
        return Promise.resolve();
      },
      requestRestart: (reason) => restarts.push(reason),
      logger: log.logger,
    });
    stoppers.push(() => remote.stop());
    return { remote, startup, running };
  };
  const fileConfig = () =>
    JSON.parse(readFileSync(paths.configPath, "utf8")) as Record<string, unknown>;
  return { dir, paths, reports, restarts, log, start, fileConfig };
}

function desired(
  generation: number,
  config: Record<string, unknown>,
  signer = centre,
  deviceId = DEVICE_ID,
) {
  return signer.signDesiredConfig({ deviceId, generation, config });
}

const NEW_CONFIG = { ...LOCAL_CONFIG, capture: { qualityThreshold: 55 } };

describe("configuration pushed by the centre", () => {
  it("writes it atomically with a backup, restarts, and confirms it once healthy", async () => {
    const t = terminal();
    const first = t.start();
    expect(first.startup).toEqual({ state: "settled" });
    await first.remote.handleDesired(desired(3, NEW_CONFIG));
    expect(t.restarts).toEqual(["configuration generation 3"]);
    expect(t.fileConfig()).toEqual(NEW_CONFIG);
    expect(JSON.parse(readFileSync(`${t.paths.configPath}.previous`, "utf8"))).toEqual(
      LOCAL_CONFIG,
    );
    expect(statSync(t.paths.configPath).mode & 0o777).toBe(0o640);
    expect(readdirSync(t.dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);

    const second = t.start();
    expect(second.startup).toEqual({ state: "confirming", generation: 3 });
    expect(second.running.capture.qualityThreshold).toBe(55);
    second.remote.awaitHealthy(Promise.resolve());
    await new Promise((resolve) => setImmediate(resolve));
    expect(readState(t.paths)).toMatchObject({ runningGeneration: 3, pending: null });
    expect(t.reports.at(-1)).toMatchObject({
      generation: 3,
      state: "running",
      lastDesired: { generation: 3, status: "applied" },
      config: { capture: { qualityThreshold: 55 }, sensors: [{ password: REDACTED }] },
    });
  });

  it("rolls back a configuration that does not come back healthy in time, and says why", async () => {
    const t = terminal();
    await t.start().remote.handleDesired(desired(4, NEW_CONFIG));
    const second = t.start(50);
    second.remote.awaitHealthy(new Promise(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(t.fileConfig()).toEqual(LOCAL_CONFIG);
    expect(t.restarts.at(-1)).toBe(
      "configuration generation 4 rolled back: not healthy within 50 ms",
    );
    const third = t.start();
    expect(third.startup).toEqual({ state: "settled" });
    await third.remote.reportNow();
    expect(t.reports.at(-1)).toMatchObject({
      generation: null,
      state: "running",
      lastDesired: { generation: 4, status: "rolled-back", reason: "not healthy within 50 ms" },
      config: { capture: { qualityThreshold: 40 } },
    });
    // The retained message arrives again on the next connect: not applied a second time.
    await third.remote.handleDesired(desired(4, NEW_CONFIG));
    expect(t.restarts).toHaveLength(2);
  });

  it("rolls back at the next start when the agent crashed before confirming", async () => {
    const t = terminal();
    await t.start().remote.handleDesired(desired(5, NEW_CONFIG));
    expect(t.start().startup.state).toBe("confirming");
    // ... and that start dies before it is healthy.
    const after = t.start();
    expect(after.startup).toMatchObject({ state: "rolled-back", generation: 5 });
    expect(after.running.capture.qualityThreshold).toBe(40);
    expect(t.fileConfig()).toEqual(LOCAL_CONFIG);
    expect(t.log.lines().some((line) => line["event"] === "config-rolled-back")).toBe(true);
  });

  it("treats a stop between the marker and the new file as a rollback, keeping the old file", async () => {
    const t = terminal();
    await t.start().remote.handleDesired(desired(6, NEW_CONFIG));
    writeFileSync(t.paths.configPath, `${JSON.stringify(LOCAL_CONFIG)}\n`);
    expect(t.start().startup).toMatchObject({ state: "rolled-back", generation: 6 });
    expect(t.fileConfig()).toEqual(LOCAL_CONFIG);
  });

  it("rolls back to the defaults when the terminal had no configuration file", async () => {
    const t = terminal(null);
    const defaultId = "sim-terminal-01";
    await t
      .start()
      .remote.handleDesired(desired(1, { logging: { level: "debug" } }, centre, defaultId));
    expect(t.start().running.logging.level).toBe("debug");
    expect(t.start().startup).toMatchObject({ state: "rolled-back", generation: 1 });
    expect(t.fileConfig()).toEqual({});
  });

  it("ignores a stale generation and defers a newer one until the current is confirmed", async () => {
    const t = terminal();
    await t.start().remote.handleDesired(desired(7, NEW_CONFIG));
    const second = t.start();
    await second.remote.handleDesired(desired(7, NEW_CONFIG));
    await second.remote.handleDesired(desired(2, LOCAL_CONFIG));
    await second.remote.handleDesired(desired(8, { ...NEW_CONFIG, logging: { level: "debug" } }));
    expect(t.restarts).toHaveLength(1);
    second.remote.awaitHealthy(Promise.resolve());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.restarts).toEqual(["configuration generation 7", "configuration generation 8"]);
    expect(t.fileConfig()).toMatchObject({ logging: { level: "debug" } });
  });

  it("refuses an invalid configuration, reporting each problem by key path", async () => {
    const t = terminal();
    const { remote } = t.start();
    await remote.handleDesired(
      desired(9, { ...LOCAL_CONFIG, mqtt: { urll: "x" }, capture: { qualityThreshold: 300 } }),
    );
    expect(t.restarts).toEqual([]);
    expect(t.fileConfig()).toEqual(LOCAL_CONFIG);
    const last = t.reports.at(-1)?.lastDesired;
    expect(last).toMatchObject({ generation: 9, status: "refused" });
    expect(last?.reason).toContain("invalid-config");
    expect(last?.reason).toContain("mqtt.urll: unknown key");
    expect(last?.reason).toContain("capture.qualityThreshold");
  });

  it("refuses changes to the terminal's identity and provisioned files", async () => {
    const t = terminal();
    const { remote } = t.start();
    await remote.handleDesired(desired(10, { ...LOCAL_CONFIG, device: { id: "gate-8" } }));
    await remote.handleDesired(
      desired(11, { ...LOCAL_CONFIG, queue: { path: "/tmp/elsewhere.sqlite" } }),
    );
    expect(t.restarts).toEqual([]);
    expect(t.reports.map((r) => r.lastDesired?.reason)).toEqual([
      "protected-setting: device.id can only be changed on the terminal",
      "protected-setting: queue.path can only be changed on the terminal",
    ]);
  });

  it("refuses forged, unsigned and misaddressed ones; only the centre's refusals are recorded", async () => {
    const t = terminal();
    const { remote } = t.start();
    await remote.handleDesired(desired(20, NEW_CONFIG, stranger));
    await remote.handleDesired(Buffer.from(JSON.stringify({ generation: 21, config: NEW_CONFIG })));
    await remote.handleDesired(
      centre.signBody("command", Buffer.from(JSON.stringify({ generation: 22 }))),
    );
    await remote.handleDesired(Buffer.from([0, 1, 2, 3]));
    expect(readState(t.paths).handled).toBeNull();
    expect(t.reports).toEqual([]);
    await remote.handleDesired(desired(23, NEW_CONFIG, centre, "gate-8"));
    expect(t.reports.at(-1)?.lastDesired).toMatchObject({ generation: 23, status: "refused" });
    const reasons = t.log
      .lines()
      .filter((line) => line["event"] === "config-desired-refused")
      .map((line) => line["reason"]);
    expect(reasons).toEqual([
      "bad-signature",
      "unsigned",
      "bad-signature",
      "malformed",
      "wrong-device",
    ]);
    expect(t.restarts).toEqual([]);
    expect(t.fileConfig()).toEqual(LOCAL_CONFIG);
    // A forged message with a huge generation did not make the real next one stale.
    await remote.handleDesired(desired(24, NEW_CONFIG));
    expect(t.restarts).toEqual(["configuration generation 24"]);
  });

  // Runs once the agent's schema has the commands section (agent/commands/commands-config.ts).
  it.skipIf(!("commands" in agentConfigSchema.shape))(
    "refuses centre keys that would lock the centre out",
    async () => {
      const dir = tempDir("basma-keys-");
      const pem = join(dir, "centre.pem");
      centre.writePublicKey(pem);
      const keyed = { ...LOCAL_CONFIG, commands: { centreKeys: { [centre.keyId]: pem } } };
      const t = terminal(keyed);
      const { remote } = t.start();
      await remote.handleDesired(desired(30, LOCAL_CONFIG));
      await remote.handleDesired(
        desired(31, { ...LOCAL_CONFIG, commands: { centreKeys: { k: join(dir, "absent.pem") } } }),
      );
      expect(t.restarts).toEqual([]);
      expect(t.reports.map((r) => r.lastDesired?.reason)).toEqual([
        expect.stringContaining("would lock the centre out"),
        expect.stringContaining("ENOENT"),
      ]);
      await remote.handleDesired(desired(32, { ...keyed, logging: { level: "warn" } }));
      expect(t.restarts).toEqual(["configuration generation 32"]);
    },
  );
});

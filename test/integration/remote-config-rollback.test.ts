import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../agent/config/load.js";
import { recoverConfigAtStartup } from "../../agent/remote-config/config-recovery.js";
import { RemoteConfig } from "../../agent/remote-config/remote-config.js";
import type { ConfigPaths } from "../../agent/remote-config/remote-config-state.js";
import type { ReportedConfig } from "../../agent/remote-config/reported-config.js";
import { deviceTopics } from "../../agent/sync/topics.js";
import { startEmbeddedBroker } from "../../hardware-sim/broker/embedded-broker.js";
import { CommandSigner } from "../../hardware-sim/central/command-signer.js";
import { captureLog } from "../support/log-capture.js";
import { repoRoot } from "../support/processes.js";
import { waitFor } from "../support/wait.js";
import { tempDir, trustedKeys } from "../unit/commands/command-fixtures.js";

const DEVICE_ID = "gate-remote-1";
const LOCAL = { device: { id: DEVICE_ID }, capture: { qualityThreshold: 40 } };

const teardown: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

describe("configuration pushed through a real broker", () => {
  it("applies a retained desired configuration once, across restarts, and reports what runs", async () => {
    const broker = await startEmbeddedBroker(0);
    teardown.push(() => broker.close());
    const topics = deviceTopics("basma", DEVICE_ID);
    const centre = CommandSigner.generate("centre-2026");
    const paths: ConfigPaths = { configPath: join(tempDir("basma-remote-"), "agent.json") };
    writeFileSync(paths.configPath, JSON.stringify(LOCAL));
    const log = captureLog();
    let restartRequests = 0;

    /** One start of the agent's configuration side: recovery, load, connect, subscribe. */
    const startAgent = async (): Promise<{ client: MqttClient; remote: RemoteConfig }> => {
      const startup = recoverConfigAtStartup(paths);
      const running = parseAgentConfig(JSON.parse(readFileSync(paths.configPath, "utf8")));
      const client = await mqtt.connectAsync(broker.url, { clientId: `basma-${DEVICE_ID}` });
      const remote = new RemoteConfig({
        paths,
        deviceId: DEVICE_ID,
        keys: trustedKeys([centre]),
        running,
        startup,
        healthDeadlineMs: 10_000,
        publishReported: async (payload) => {
          await client.publishAsync(topics.configReported, Buffer.from(payload), {
            qos: 1,
            retain: true,
          });
        },
        requestRestart: () => (restartRequests += 1),
        logger: log.logger,
      });
      client.on("message", (_topic, payload) => void remote.handleDesired(payload));
      await client.subscribeAsync(topics.configDesired, { qos: 1 });
      // Healthy here means connected to the broker, which it is.
      remote.awaitHealthy(Promise.resolve());
      await remote.reportNow();
      return { client, remote };
    };
    const stopAgent = async ({ client, remote }: { client: MqttClient; remote: RemoteConfig }) => {
      remote.stop();
      await client.endAsync();
    };

    const centreClient = await mqtt.connectAsync(broker.url, { clientId: "centre" });
    teardown.push(() => centreClient.endAsync());
    await centreClient.publishAsync(
      topics.configDesired,
      centre.signDesiredConfig({
        deviceId: DEVICE_ID,
        generation: 1,
        config: { ...LOCAL, capture: { qualityThreshold: 65 } },
      }),
      { qos: 1, retain: true },
    );

    let agent = await startAgent();
    await waitFor("the agent to ask for a restart", () => restartRequests === 1);
    await stopAgent(agent);
    agent = await startAgent();
    // The retained message came again on connect, and was not applied a second time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(restartRequests).toBe(1);

    const reports: ReportedConfig[] = [];
    const observer = await mqtt.connectAsync(broker.url, { clientId: "observer" });
    teardown.push(() => observer.endAsync());
    observer.on("message", (_topic, payload) => {
      reports.push(JSON.parse(payload.toString()) as ReportedConfig);
    });
    await observer.subscribeAsync(topics.configReported, { qos: 1 });
    await waitFor("the retained report", () =>
      reports.some((report) => report.generation === 1 && report.state === "running"),
    );
    expect(reports.at(-1)).toMatchObject({
      deviceId: DEVICE_ID,
      generation: 1,
      lastDesired: { generation: 1, status: "applied" },
      config: { capture: { qualityThreshold: 65 } },
    });

    // A newer one the schema refuses: reported, not applied, no restart.
    await centreClient.publishAsync(
      topics.configDesired,
      centre.signDesiredConfig({
        deviceId: DEVICE_ID,
        generation: 2,
        config: { ...LOCAL, capture: { qualityThreshold: "high" } },
      }),
      { qos: 1, retain: true },
    );
    await waitFor("the refusal to be reported", () =>
      reports.some((report) => report.lastDesired?.status === "refused"),
    );
    expect(reports.at(-1)).toMatchObject({
      generation: 1,
      lastDesired: { generation: 2, status: "refused" },
      config: { capture: { qualityThreshold: 65 } },
    });
    expect(restartRequests).toBe(1);
    await stopAgent(agent);
  });

  it("rolls back when the process running the new configuration is killed before it confirms", async () => {
    const centre = CommandSigner.generate("centre-2026");
    const paths: ConfigPaths = { configPath: join(tempDir("basma-remote-"), "agent.json") };
    writeFileSync(paths.configPath, JSON.stringify(LOCAL));
    const log = captureLog();
    let restarts = 0;
    const remote = new RemoteConfig({
      paths,
      deviceId: DEVICE_ID,
      keys: trustedKeys([centre]),
      running: parseAgentConfig(LOCAL),
      startup: recoverConfigAtStartup(paths),
      healthDeadlineMs: 10_000,
      publishReported: () => Promise.resolve(),
      requestRestart: () => (restarts += 1),
      logger: log.logger,
    });
    await remote.handleDesired(
      centre.signDesiredConfig({
        deviceId: DEVICE_ID,
        generation: 1,
        config: { ...LOCAL, capture: { qualityThreshold: 70 } },
      }),
    );
    expect(restarts).toBe(1);

    // The next start, as its own process, dies (SIGKILL) before it is healthy.
    const recovery = `${repoRoot}/dist/agent/remote-config/config-recovery.js`;
    const child = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { recoverConfigAtStartup } = await import(${JSON.stringify(recovery)});
         const found = recoverConfigAtStartup({ configPath: ${JSON.stringify(paths.configPath)} });
         process.stdout.write(JSON.stringify(found));
         process.kill(process.pid, "SIGKILL");`,
      ],
      { encoding: "utf8", env: { ...process.env, UV_USE_IO_URING: "0" } },
    );
    expect(child.signal).toBe("SIGKILL");
    expect(JSON.parse(child.stdout)).toEqual({ state: "confirming", generation: 1 });
    expect(JSON.parse(readFileSync(paths.configPath, "utf8"))).toMatchObject({
      capture: { qualityThreshold: 70 },
    });

    const after = recoverConfigAtStartup(paths);
    expect(after).toMatchObject({ state: "rolled-back", generation: 1 });
    expect(JSON.parse(readFileSync(paths.configPath, "utf8"))).toEqual(LOCAL);
  });
});

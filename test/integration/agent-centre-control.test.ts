import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config/load.js";
import { deviceTopics } from "../../agent/sync/topics.js";
import { SimulatedGpio } from "../../drivers/gpio/simulated-gpio.js";
import { startEmbeddedBroker } from "../../hardware-sim/broker/embedded-broker.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { CommandSigner } from "../../hardware-sim/central/command-signer.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";
import { captureLog } from "../support/log-capture.js";
import { SESSION_TEST_PINS } from "../support/simulated-gate.js";
import { waitFor } from "../support/wait.js";

const teardown: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

interface Result {
  readonly commandId?: string;
  readonly status?: string;
  readonly reason?: string;
}

/** The whole agent in process (simulated GPIO, no sensor attached) against the reference centre. */
async function agentWithCentre() {
  const dir = mkdtempSync(join(tmpdir(), "basma-control-"));
  teardown.push(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const broker = await startEmbeddedBroker(0);
  teardown.push(() => broker.close());
  const signer = CommandSigner.generate("centre-test");
  const keyFile = join(dir, "centre.pem");
  signer.writePublicKey(keyFile);
  const log = captureLog("info");
  const store = new CentralStore(join(dir, "central.sqlite"));
  teardown.push(() => {
    store.close();
  });
  const central = new ReferenceCentral({
    brokerUrl: broker.url,
    topicPrefix: "basma",
    store,
    logger: log.logger,
    commandSigner: signer,
  });
  await central.start();
  teardown.push(() => central.stop());
  const results: Result[] = [];
  central.on("command-result", ({ result }) => results.push(result as Result));
  const config = parseAgentConfig({
    device: { id: "gate-7" },
    // Nothing listens there: the sensor stays away, the gate and the link do not care.
    sensors: [{ id: "sensor-1", kind: "r30x", path: "tcp://127.0.0.1:1" }],
    gpio: { backend: "simulated", pins: SESSION_TEST_PINS },
    queue: { path: join(dir, "queue.sqlite") },
    mqtt: { url: broker.url },
    commands: { centreKeys: { "centre-test": keyFile }, replayStore: join(dir, "commands.sqlite") },
  });
  const agent: RunningAgent = startAgent(config, log.logger);
  teardown.push(() => agent.stop());
  const gpio = agent.gate.gpio;
  if (!(gpio instanceof SimulatedGpio)) throw new Error("expected simulated GPIO");
  await waitFor("the agent's online status", () => central.status("gate-7")?.state === "online");
  return { agent, central, signer, broker, results, gpio, log };
}

const relayOpenings = (gpio: SimulatedGpio): number =>
  gpio.transitionsOf("gateRelay").filter((t) => t.value === 1).length;

describe("the centre's control of a running agent", () => {
  it("opens the gate once for a signed command, never for its replay or a forgery", async () => {
    const { central, signer, broker, results, gpio } = await agentWithCentre();
    const commandId = await central.sendCommand("gate-7", "open-gate", { openMs: 1_000 });

    await waitFor("the command to be done", () =>
      results.some((r) => r.commandId === commandId && r.status === "done"),
    );
    expect(relayOpenings(gpio)).toBe(1);
    await waitFor(
      "the gate to close again",
      () => gpio.transitionsOf("gateRelay").at(-1)?.value === 0,
    );

    // Anyone who can publish on the topic: a replay of the genuine message and a forgery.
    const attacker = await mqtt.connectAsync(broker.url);
    teardown.push(() => attacker.endAsync());
    const topic = deviceTopics("basma", "gate-7").commands;
    const genuine = signer.signCommand({ deviceId: "gate-7", kind: "open-gate" });
    await attacker.publishAsync(topic, genuine.message, { qos: 1 });
    await attacker.publishAsync(topic, genuine.message, { qos: 1 });
    const forger = CommandSigner.generate("centre-test");
    const forged = forger.signCommand({ deviceId: "gate-7", kind: "open-gate" });
    await attacker.publishAsync(topic, forged.message, { qos: 1 });
    await waitFor(
      "the replay and the forgery to be refused",
      () => results.filter((r) => r.status === "refused").length >= 2,
    );
    const refusals = results.filter((r) => r.status === "refused").map((r) => r.reason);
    expect(refusals.join(" ")).toMatch(/replay/);
    expect(refusals.join(" ")).toMatch(/signature/);
    // The first copy of `genuine` was itself genuine and opened the gate: two openings in all.
    expect(relayOpenings(gpio)).toBe(2);
  });

  it("answers diagnostics without biometric data, resyncs, and rotates the queue data key on command", async () => {
    const { central, results } = await agentWithCentre();
    const diagnosticsId = await central.sendCommand("gate-7", "collect-diagnostics", {});
    const resyncId = await central.sendCommand("gate-7", "resync", {});
    await waitFor("both commands to be done", () =>
      [diagnosticsId, resyncId].every((id) =>
        results.some((r) => r.commandId === id && r.status === "done"),
      ),
    );
    const diagnostics = JSON.stringify(
      results.find((r) => r.commandId === diagnosticsId && r.status === "done"),
    );
    expect(diagnostics).toContain("gate-7");
    expect(diagnostics).not.toMatch(/"pixels"/);

    const rotated = await central.sendCommand("gate-7", "rotate-keys", {
      keys: ["queue-data-key"],
    });
    const refused = await central.sendCommand("gate-7", "rotate-keys", {
      keys: ["device-signing-key"],
    });
    await waitFor(
      "both rotations to end",
      () =>
        results.some((r) => r.commandId === rotated && r.status === "done") &&
        results.some((r) => r.commandId === refused && r.status === "failed"),
    );
  });

  it("shrugs off 10,000 malformed and hostile messages on every inbound topic", async () => {
    const { agent, broker, gpio, central } = await agentWithCentre();
    const topics = deviceTopics("basma", "gate-7");
    const attacker = await mqtt.connectAsync(broker.url);
    teardown.push(() => attacker.endAsync());
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const hostile = (i: number): Buffer => {
      switch (i % 8) {
        case 0:
          return Buffer.from(
            Array.from({ length: 1 + Math.floor(random() * 300) }, () =>
              Math.floor(random() * 256),
            ),
          );
        case 1:
          return Buffer.from("[".repeat(5_000) + "]".repeat(5_000));
        case 2:
          return Buffer.from(JSON.stringify({ v: 1, id: "not-a-uuid", seq: -1, status: "stored" }));
        case 3:
          return Buffer.from(
            JSON.stringify({ __proto__: { polluted: true }, constructor: { prototype: {} } }),
          );
        case 4:
          return Buffer.alloc(200_000, 0x7b);
        case 5:
          return Buffer.from(
            JSON.stringify({ v: 1, keyId: "centre-test", body: "e30=", sig: "AAAA" }),
          );
        case 6:
          return Buffer.from("");
        default:
          return Buffer.from(
            JSON.stringify({ v: 1, id: crypto.randomUUID(), seq: 1, status: "stored" }),
          );
      }
    };
    const targets = [topics.acks, topics.commands, topics.configDesired];
    const heapBefore = process.memoryUsage().heapUsed;
    for (let i = 0; i < 10_000; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          attacker.publishAsync(targets[(i + j) % targets.length] ?? topics.acks, hostile(i + j), {
            qos: 1,
          }),
        ),
      );
    }
    // A genuine command still gets through afterwards: the agent is alive and listening.
    const results: Result[] = [];
    central.on("command-result", ({ result }) => results.push(result as Result));
    const after = await central.sendCommand("gate-7", "resync", {});
    await waitFor(
      "the genuine command after the flood",
      () => results.some((r) => r.commandId === after && r.status === "done"),
      60_000,
    );
    expect(relayOpenings(gpio)).toBe(0);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(agent.health().queue.records).toBe(0);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 ** 2);
  }, 180_000);
});

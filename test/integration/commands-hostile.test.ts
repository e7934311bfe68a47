import { join } from "node:path";
import { Writable } from "node:stream";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { CentreCommands } from "../../agent/commands/centre-commands.js";
import { decodeCommandResult, type CommandResult } from "../../agent/commands/command-results.js";
import { ReplayStore } from "../../agent/commands/replay-store.js";
import { deviceTopics } from "../../agent/sync/topics.js";
import { startEmbeddedBroker } from "../../hardware-sim/broker/embedded-broker.js";
import { CommandSigner } from "../../hardware-sim/central/command-signer.js";
import { createLogger } from "../../agent/log/logger.js";
import { simulatedTerminalGate } from "../support/simulated-gate.js";
import { waitFor } from "../support/wait.js";
import { tempDir, trustedKeys } from "../unit/commands/command-fixtures.js";

const DEVICE_ID = "gate-hostile-1";
const HOSTILE_MESSAGES = 10_000;
const BATCH = 25;
const MAX_PENDING = 32;

const teardown: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

/** xorshift32: the same hostile traffic on every run, so a failure can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_00_00_00_00;
  };
}

/** A full collection, so heap figures compare live objects rather than garbage not yet collected. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

/**
 * A real logger whose lines are tallied, not kept: keeping 10,000 parsed lines would
 * itself be most of the memory the test watches. Gate lines are kept whole.
 */
function tallyingLog() {
  const events = new Map<string, number>();
  const gateLines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split("\n")) {
        if (text.trim() === "") continue;
        const line = JSON.parse(text) as Record<string, unknown>;
        const key = typeof line["event"] === "string" ? line["event"] : String(line["msg"]);
        events.set(key, (events.get(key) ?? 0) + 1);
        if (line["gate"] !== undefined) gateLines.push(line);
      }
      done();
    },
  });
  return { logger: createLogger({ name: "test", level: "info", destination }), events, gateLines };
}

type Hostile = { bytes: Buffer; addressable: boolean };

/** Every way a message on the commands topic can be wrong; `addressable` ones name a command id. */
function hostileTraffic(
  centre: CommandSigner,
  forger: CommandSigner,
  genuineOpen: Buffer,
  random: () => number,
): ((index: number) => Hostile)[] {
  const bytes = (length: number) =>
    Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
  const fresh = () => new Date(Date.now() - 500);
  const envelope = JSON.parse(genuineOpen.toString()) as Record<string, string>;
  return [
    () => ({ bytes: bytes(1 + Math.floor(random() * 2_048)), addressable: false }),
    (index) => ({
      // Huge: every 20th of these is a megabyte; the rest just over the limit.
      bytes: Buffer.alloc(index % 20 === 0 ? 1_048_576 : 16_385 + index, 0x7b),
      addressable: false,
    }),
    () => {
      const depth = 2_000 + Math.floor(random() * 3_000);
      return {
        bytes: Buffer.from(`{"v":1,"keyId":"k","body":${"[".repeat(depth)}${"]".repeat(depth)}}`),
        addressable: false,
      };
    },
    () => ({
      bytes: Buffer.from(JSON.stringify({ v: "1", keyId: 7, body: [], sig: { r: 1 } })),
      addressable: false,
    }),
    () => {
      const body = {
        v: 1,
        commandId: crypto.randomUUID(),
        deviceId: DEVICE_ID,
        kind: "open-gate",
        params: { openMs: "always" },
        issuedAt: 12,
        expiresAt: null,
        nonce: ["x"],
        keyId: centre.keyId,
      };
      return {
        bytes: centre.signBody("command", Buffer.from(JSON.stringify(body))),
        addressable: true,
      };
    },
    () => ({
      bytes: forger.signCommand({ deviceId: DEVICE_ID, kind: "open-gate", issuedAt: fresh() })
        .message,
      addressable: true,
    }),
    () => ({ bytes: genuineOpen, addressable: true }),
    () => {
      const bare = JSON.parse(Buffer.from(envelope["body"] ?? "", "base64").toString()) as Record<
        string,
        unknown
      >;
      return {
        bytes: Buffer.from(JSON.stringify({ ...bare, commandId: crypto.randomUUID() })),
        addressable: true,
      };
    },
    () => ({
      bytes: centre.signCommand({ deviceId: "gate-other", kind: "open-gate", issuedAt: fresh() })
        .message,
      addressable: true,
    }),
    () => ({
      bytes: centre.signCommand({
        deviceId: DEVICE_ID,
        kind: "open-gate",
        issuedAt: new Date(Date.now() - 600_000),
        lifetimeMs: 60_000,
      }).message,
      addressable: true,
    }),
    () => {
      const body = Buffer.from(envelope["body"] ?? "", "base64")
        .toString()
        .replace('"params":{}', '"params":{"openMs":60000}');
      return {
        bytes: Buffer.from(
          JSON.stringify({ ...envelope, body: Buffer.from(body).toString("base64") }),
        ),
        addressable: true,
      };
    },
    () => ({
      bytes: Buffer.from('{"__proto__":{"opened":true},"constructor":{"prototype":{"x":1}}}'),
      addressable: false,
    }),
    () => ({
      bytes: Buffer.from(
        ["null", "1e999", '"open"', "true", "[]", ""][Math.floor(random() * 6)] ?? "",
      ),
      addressable: false,
    }),
  ];
}

describe("centre commands on a real broker under hostile traffic", () => {
  it(
    "refuses 10,000 malformed and hostile messages; only genuine commands move the relay",
    {
      timeout: 300_000,
    },
    async () => {
      const broker = await startEmbeddedBroker(0);
      teardown.push(() => broker.close());
      const topics = deviceTopics("basma", DEVICE_ID);
      const log = tallyingLog();
      const { gate, gpio } = simulatedTerminalGate(log.logger);
      teardown.push(() => gate.close());
      const replayStore = ReplayStore.open(join(tempDir(), "commands.sqlite"));
      teardown.push(() => replayStore.close());
      const centre = CommandSigner.generate("centre-2026");
      const forger = CommandSigner.generate("centre-2026");

      const agentClient: MqttClient = await mqtt.connectAsync(broker.url, {
        clientId: `basma-${DEVICE_ID}`,
        clean: true,
      });
      teardown.push(() => agentClient.endAsync());
      const commands = new CentreCommands({
        deviceId: DEVICE_ID,
        keys: trustedKeys([centre]),
        replayStore,
        limits: { maxLifetimeMs: 300_000, clockSkewMs: 30_000 },
        maxPending: MAX_PENDING,
        handlers: {
          openGate: (decision) => gate.relay.open(decision),
          restart: () => undefined,
          resync: () => Promise.resolve({}),
          rotateKeys: () => Promise.resolve({}),
          diagnostics: () => ({ agentVersion: "test" }),
        },
        publishResult: async (payload) => {
          await agentClient.publishAsync(topics.commandResults, Buffer.from(payload), { qos: 1 });
        },
        logger: log.logger,
      });
      let settled = 0;
      let mostPending = 0;
      agentClient.on("message", (_topic, payload) => {
        mostPending = Math.max(mostPending, commands.pending + 1);
        void commands.handle(payload).then(() => {
          settled += 1;
        });
      });
      await agentClient.subscribeAsync(topics.commands, { qos: 1 });

      const centreClient = await mqtt.connectAsync(broker.url, { clientId: "centre", clean: true });
      teardown.push(() => centreClient.endAsync());
      const results: CommandResult[] = [];
      centreClient.on("message", (_topic, payload) => {
        results.push(decodeCommandResult(payload));
      });
      await centreClient.subscribeAsync(topics.commandResults, { qos: 1 });

      const relayOpenings = () =>
        gpio.transitionsOf("gateRelay").filter((transition) => transition.value === 1);
      let sent = 0;
      const send = async (messages: readonly Buffer[]) => {
        await Promise.all(
          messages.map((bytes) => centreClient.publishAsync(topics.commands, bytes, { qos: 1 })),
        );
        sent += messages.length;
        await waitFor("the agent to deal with every message", () => settled === sent, 30_000, 1);
      };

      const first = centre.signCommand({
        deviceId: DEVICE_ID,
        kind: "open-gate",
        lifetimeMs: 120_000,
      });
      await send([first.message]);
      expect(relayOpenings()).toHaveLength(1);
      gate.relay.closeGate("test: ready for the flood");

      const random = seededRandom(0x5eed);
      const kinds = hostileTraffic(centre, forger, first.message, random);
      let addressable = 0;
      collectGarbage();
      const heapBefore = process.memoryUsage().heapUsed;
      const cpuBefore = process.cpuUsage();
      for (let start = 0; start < HOSTILE_MESSAGES; start += BATCH) {
        const batch: Buffer[] = [];
        for (let index = start; index < start + BATCH; index += 1) {
          const make = kinds[index % kinds.length];
          if (make === undefined) throw new Error("no generator");
          const message = make(Math.floor(index / kinds.length));
          if (message.addressable) addressable += 1;
          batch.push(message.bytes);
        }
        await send(batch);
      }
      const cpu = process.cpuUsage(cpuBefore);
      collectGarbage();
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;

      const second = centre.signCommand({ deviceId: DEVICE_ID, kind: "open-gate" });
      await send([second.message]);
      await waitFor(
        "every result to reach the centre",
        () => results.filter((r) => r.commandId === second.commandId).length === 2,
      );

      // Only the two genuine commands ever energised the relay: the GPIO history says so.
      const openings = relayOpenings();
      expect(openings).toHaveLength(2);
      const opened = log.gateLines
        .filter((line) => line["msg"] === "gate opened")
        .map((line) => (line["decision"] as { commandId: string }).commandId);
      expect(opened).toEqual([first.commandId, second.commandId]);

      const counts = commands.counts();
      expect(counts.received).toBe(HOSTILE_MESSAGES + 2);
      expect(counts.refused).toBe(HOSTILE_MESSAGES);
      expect(counts.done).toBe(2);
      expect(counts.refusedBy["busy"] ?? 0).toBe(0);
      expect(counts.refusedBy["replayed"]).toBeGreaterThan(700);
      expect(log.events.get("command-refused")).toBe(HOSTILE_MESSAGES);
      const refusedResults = results.filter((r) => r.status === "refused");
      expect(refusedResults).toHaveLength(addressable);

      expect(mostPending).toBeLessThanOrEqual(MAX_PENDING);
      // What stays is the centre's copy of the results (under 1 MiB); a leak of the refused
      // messages themselves would be tens of megabytes.
      expect(heapGrowth).toBeLessThan(16 * 1024 * 1024);
      expect(agentClient.connected).toBe(true);
      console.info(
        `commands-hostile: ${HOSTILE_MESSAGES} messages, CPU ${((cpu.user + cpu.system) / 1_000).toFixed(0)} ms ` +
          `(${((cpu.user + cpu.system) / HOSTILE_MESSAGES).toFixed(0)} µs each, broker and both clients included), ` +
          `heap growth ${(heapGrowth / 1_048_576).toFixed(1)} MiB, refusals by reason ${JSON.stringify(counts.refusedBy)}`,
      );
    },
  );
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../agent/config/load.js";
import { Outbox } from "../../agent/queue/outbox.js";
import { deviceTopics } from "../../agent/sync/topics.js";
import { CentreSync } from "../../agent/sync/centre-sync.js";
import { encodeAck } from "../../agent/sync/wire.js";
import { startEmbeddedBroker } from "../../hardware-sim/broker/embedded-broker.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";
import { captureLog } from "../support/log-capture.js";
import { mosquittoPath, startMosquitto } from "../../hardware-sim/broker/mosquitto.js";
import { makeRecord } from "../support/records.js";
import { waitFor } from "../support/wait.js";

interface Broker {
  readonly url: string;
  stop(): Promise<void>;
}

const brokers: {
  name: string;
  protocolVersion: 4 | 5;
  available: boolean;
  start: () => Promise<Broker>;
}[] = [
  {
    name: "embedded aedes (MQTT 3.1.1)",
    protocolVersion: 4,
    available: true,
    start: async () => {
      const broker = await startEmbeddedBroker(0);
      return { url: broker.url, stop: () => broker.close() };
    },
  },
  {
    name: "Mosquitto from apt (MQTT 5)",
    protocolVersion: 5,
    available: mosquittoPath !== undefined,
    start: startMosquitto,
  },
];

const teardown: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

describe.each(brokers)("record sync through $name", ({ protocolVersion, available, start }) => {
  async function setUp(options: { withCentral: boolean; ackTimeoutSeconds?: number }) {
    const broker = await start();
    teardown.push(() => broker.stop());
    const dir = mkdtempSync(join(tmpdir(), "basma-sync-"));
    const outbox = Outbox.open(join(dir, "queue.sqlite"));
    teardown.push(() => outbox.close());
    const store = new CentralStore(join(dir, "central.sqlite"));
    teardown.push(() => store.close());
    const log = captureLog();
    const config = parseAgentConfig({
      device: { id: "gate-1" },
      mqtt: {
        url: broker.url,
        protocolVersion,
        inFlightWindow: 4,
        ackTimeoutSeconds: options.ackTimeoutSeconds ?? 60,
      },
    });
    const startCentral = async (): Promise<ReferenceCentral> => {
      const central = new ReferenceCentral({
        brokerUrl: broker.url,
        topicPrefix: config.mqtt.topicPrefix,
        store,
        logger: log.logger,
      });
      await central.start();
      teardown.push(() => central.stop());
      return central;
    };
    const central = options.withCentral ? await startCentral() : undefined;
    const sync = new CentreSync({
      mqtt: config.mqtt,
      deviceId: config.device.id,
      outbox,
      logger: log.logger,
      agentVersion: "test",
    });
    teardown.push(() => sync.stop());
    return { broker, outbox, store, log, sync, central, startCentral, config };
  }

  it.skipIf(!available)(
    "delivers every record, and the queue lets each go only after the centre stored it",
    async () => {
      const { outbox, store, sync, log } = await setUp({ withCentral: true });
      const records = Array.from({ length: 10 }, (_, i) => makeRecord(i));
      for (const record of records) outbox.enqueue(record);
      sync.start();
      await waitFor("the queue to drain", () => outbox.stats().records === 0);
      const stored = store.list();
      expect(stored.map((r) => r.id).sort()).toEqual(records.map((r) => r.id).sort());
      expect(stored.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
      const acked = log.lines().filter((l) => l["event"] === "record-acknowledged");
      expect(acked).toHaveLength(10);
    },
  );

  it.skipIf(!available)(
    "sets aside a record the centre refuses for good, and the records behind it flow on",
    async () => {
      const { outbox, store, sync, log } = await setUp({ withCentral: true });
      const good = [1, 2, 3, 4, 5, 6].map((i) => makeRecord(i));
      const broken = makeRecord(9);
      const finger = broken.fingers[0];
      if (finger?.image === undefined) throw new Error("the test record has no image");
      // One row of pixels short: the capture loop never writes this, the centre refuses it.
      const image = { ...finger.image, pixels: finger.image.pixels.subarray(finger.image.width) };
      const refused = outbox.enqueue({ ...broken, fingers: [{ ...finger, image }] });
      for (const record of good) outbox.enqueue(record);
      sync.start();
      await waitFor("the good records to be stored", () => store.count() === good.length);
      await waitFor("the refused record to be set aside", () => sync.counters.recordsRefused === 1);
      await waitFor("the queue to hold only it", () => outbox.stats().records === 1);
      expect(outbox.stats().quarantined).toBe(1);
      const [setAside] = outbox.quarantined();
      expect(setAside?.id).toBe(refused.id);
      expect(setAside?.reason).toMatch(/^refused by the centre: .*invalid capture record/);
      expect(store.list().map((r) => r.id)).not.toContain(refused.id);
      const line = log.lines().find((l) => l["event"] === "record-refused");
      expect(line).toMatchObject({ recordId: refused.id, level: "warn" });
      // Not sent again, even after the acknowledgement timeout would have passed.
      const published = sync.counters.recordsPublished;
      sync.resync();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sync.counters.recordsPublished).toBe(published);
    },
  );

  it.skipIf(!available)(
    "keeps records the broker accepted but no centre confirmed, and resends them",
    async () => {
      const { outbox, store, sync, startCentral } = await setUp({
        withCentral: false,
        ackTimeoutSeconds: 1,
      });
      for (let i = 0; i < 3; i++) outbox.enqueue(makeRecord(i));
      sync.start();
      await waitFor("the records to be published", () => sync.counters.recordsPublished >= 3);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(outbox.stats().records).toBe(3);
      await startCentral();
      await waitFor(
        "the resent records to be acknowledged",
        () => outbox.stats().records === 0,
        15_000,
      );
      expect(store.count()).toBe(3);
    },
  );

  it.skipIf(!available)(
    "refuses malformed acknowledgements and ignores acks for unknown ids, losing nothing",
    async () => {
      const { outbox, sync, log, broker, config } = await setUp({ withCentral: false });
      const { id } = outbox.enqueue(makeRecord());
      sync.start();
      await waitFor("the record to be published", () => sync.counters.recordsPublished >= 1);
      const intruder = await mqtt.connectAsync(broker.url, { protocolVersion });
      teardown.push(() => intruder.endAsync());
      const acks = deviceTopics(config.mqtt.topicPrefix, config.device.id).acks;
      await intruder.publishAsync(acks, "not json", { qos: 1 });
      await intruder.publishAsync(acks, JSON.stringify({ v: 1, id, seq: 1, status: "maybe" }), {
        qos: 1,
      });
      await intruder.publishAsync(
        acks,
        encodeAck({ v: 1, id: "0190e9a4-0000-7000-8000-000000000001", seq: 9, status: "stored" }),
        { qos: 1 },
      );
      await waitFor("two refusals", () => sync.counters.refusedInbound === 2);
      // One line says why; the second refusal within the minute is only counted.
      const reasons = log
        .lines()
        .filter((l) => l["msg"] === "refused acknowledgement")
        .map((l) => String(l["reason"]));
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(/not JSON/);
      await waitFor("the unknown id to be ignored", () => sync.counters.duplicateAcks === 1);
      expect(outbox.stats().records).toBe(1);
      // A real acknowledgement still works afterwards.
      await intruder.publishAsync(acks, encodeAck({ v: 1, id, seq: 1, status: "stored" }), {
        qos: 1,
      });
      await waitFor("the real ack", () => outbox.stats().records === 0);
    },
  );

  it.skipIf(!available)(
    "the centre refuses a malformed record message and acknowledges nothing",
    async () => {
      const { central, broker, store, config } = await setUp({ withCentral: true });
      const rejected: string[] = [];
      central?.on("rejected", ({ reason }) => rejected.push(reason));
      const rogue = await mqtt.connectAsync(broker.url, { protocolVersion });
      teardown.push(() => rogue.endAsync());
      const topic = deviceTopics(config.mqtt.topicPrefix, config.device.id).records;
      await rogue.publishAsync(topic, Buffer.from([0xff, 0x00, 0x13]), { qos: 1 });
      await rogue.publishAsync(
        `${config.mqtt.topicPrefix}/devices/other/records`,
        Buffer.from("{}"),
        { qos: 1 },
      );
      await waitFor("both refusals", () => rejected.length === 2);
      expect(rejected.join(" | ")).toMatch(/CBOR|invalid record message/);
      expect(store.count()).toBe(0);
    },
  );
});

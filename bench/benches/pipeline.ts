import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { parseAgentConfig } from "../../agent/config/load.js";
import { createLogger } from "../../agent/log/logger.js";
import { Outbox } from "../../agent/queue/outbox.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
import { decodeCaptureRecord, encodeCaptureRecord } from "../../agent/records/record-codec.js";
import { RecordSync } from "../../agent/sync/record-sync.js";
import { startEmbeddedBroker } from "../../hardware-sim/broker/embedded-broker.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import type { Benchmark } from "../benchmark.js";
import { timeOperation } from "../benchmark.js";
import { benchRecord } from "../bench-records.js";

/** A kiosk record as the stack produces it: two 256x288 fingers. */
function kioskRecord(seed: number): CaptureRecord {
  return benchRecord("kiosk-two-index", [2, 7], (position) =>
    renderSimplePrint({ seed, position, width: 256, height: 288 }),
  );
}

const codec: Benchmark = {
  name: "record-codec",
  description: "CBOR encode and validated decode of a two-finger kiosk record",
  run: async () => {
    const record = kioskRecord(1);
    const bytes = encodeCaptureRecord(record);
    const encode = await timeOperation(() => encodeCaptureRecord(record), { iterations: 500 });
    const decode = await timeOperation(() => decodeCaptureRecord(bytes), { iterations: 500 });
    return [
      { metric: "record size", value: bytes.length / 1024, unit: "KiB" },
      { metric: "encode", value: encode.meanMs, unit: "ms/record" },
      { metric: "decode + validate", value: decode.meanMs, unit: "ms/record" },
    ];
  },
};

const queue: Benchmark = {
  name: "queue-enqueue",
  description:
    "durable enqueue (one fsynced transaction) of a kiosk record into a real SQLite file",
  run: async () => {
    const dir = mkdtempSync(join(tmpdir(), "basma-bench-queue-"));
    const outbox = Outbox.open(join(dir, "queue.sqlite"));
    const records = Array.from({ length: 8 }, (_, i) => kioskRecord(i));
    let i = 0;
    const enqueue = await timeOperation(
      () => outbox.enqueue({ ...records[i++ % records.length], id: uuidv7() } as CaptureRecord),
      { iterations: 200, warmup: 10 },
    );
    const ack = await timeOperation(
      () => {
        const [oldest] = outbox.oldest(1);
        if (oldest) outbox.acknowledge(oldest.id);
      },
      { iterations: 200, warmup: 0 },
    );
    outbox.close();
    rmSync(dir, { recursive: true, force: true });
    return [
      { metric: "enqueue mean", value: enqueue.meanMs, unit: "ms/record" },
      { metric: "enqueue p99", value: enqueue.p99Ms, unit: "ms/record" },
      { metric: "enqueue rate", value: enqueue.opsPerSecond, unit: "records/s" },
      { metric: "acknowledge (secure delete)", value: ack.meanMs, unit: "ms/record" },
    ];
  },
};

const sync: Benchmark = {
  name: "sync-throughput",
  description:
    "queued kiosk records through the embedded broker to the reference centre and back as acks",
  run: async () => {
    const count = 300;
    const dir = mkdtempSync(join(tmpdir(), "basma-bench-sync-"));
    const broker = await startEmbeddedBroker(0);
    const logger = createLogger({ name: "bench", level: "silent" });
    const outbox = Outbox.open(join(dir, "queue.sqlite"));
    for (let i = 0; i < count; i++) outbox.enqueue(kioskRecord(i % 8));
    const store = new CentralStore(join(dir, "central.sqlite"));
    const central = new ReferenceCentral({
      brokerUrl: broker.url,
      topicPrefix: "basma",
      store,
      logger,
    });
    await central.start();
    const config = parseAgentConfig({ device: { id: "bench" }, mqtt: { url: broker.url } });
    const recordSync = new RecordSync({
      mqtt: config.mqtt,
      deviceId: "bench",
      outbox,
      logger,
      agentVersion: "bench",
    });
    const started = process.hrtime.bigint();
    recordSync.start();
    while (outbox.stats().records > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await recordSync.stop();
    await central.stop();
    await broker.close();
    outbox.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
    return [
      { metric: `${count} records drained`, value: seconds, unit: "s" },
      { metric: "throughput", value: count / seconds, unit: "records/s" },
      { metric: "per record (window 16)", value: (seconds * 1000) / count, unit: "ms" },
    ];
  },
};

export const pipelineBenchmarks: readonly Benchmark[] = [codec, queue, sync];

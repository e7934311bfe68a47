import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { Outbox } from "../../agent/queue/outbox.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
import { decodeCaptureRecord, encodeCaptureRecord } from "../../agent/records/record-codec.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import type { Benchmark } from "../benchmark.js";
import { timeOperation } from "../benchmark.js";
import { benchRecord } from "../bench-records.js";

/** A kiosk record as the stack produces it: two 256x288 fingers. */
export function kioskRecord(seed: number): CaptureRecord {
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

export const pipelineBenchmarks: readonly Benchmark[] = [codec, queue];

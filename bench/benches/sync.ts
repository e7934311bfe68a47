import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { uuidv7 } from "uuidv7";
import { createLogger } from "../../agent/log/logger.js";
import { Outbox } from "../../agent/queue/outbox.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
import { mosquittoPath, startMosquitto } from "../../hardware-sim/broker/mosquitto.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import type { Benchmark, Figure } from "../benchmark.js";
import { benchRecord } from "../bench-records.js";
import { kioskRecord } from "./pipeline.js";
import { runFleet } from "./sync-fleet.js";

const run = promisify(execFile);
const silent = createLogger({ name: "bench", level: "silent" });

/** Fills a queue at `path` with `count` kiosk records through the real enqueue path. */
function seedQueue(path: string, count: number, record: (i: number) => CaptureRecord): void {
  const outbox = Outbox.open(path);
  for (let i = 0; i < count; i++) outbox.enqueue({ ...record(i), id: uuidv7() });
  outbox.close();
}

interface DrainResult {
  readonly records: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly bytesPublished: number;
}

/** The agent side drains `queuePath` in a child process; the centre acknowledges here. */
async function drain(queuePath: string, brokerUrl: string, dir: string): Promise<DrainResult> {
  const store = new CentralStore(join(dir, `central-${uuidv7()}.sqlite`));
  const central = new ReferenceCentral({ brokerUrl, topicPrefix: "basma", store, logger: silent });
  await central.start();
  try {
    const child = join(import.meta.dirname, "sync-drain-child.js");
    const { stdout } = await run(process.execPath, [child, queuePath, brokerUrl], {
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout) as DrainResult;
  } finally {
    await central.stop();
    store.close();
  }
}

interface RawResult {
  readonly records: number;
  readonly seconds: number;
  readonly wireBytes: number;
}

/** The same messages published raw at QoS 1 by the same library: what the link alone allows. */
async function rawPublish(queuePath: string, brokerUrl: string): Promise<RawResult> {
  const child = join(import.meta.dirname, "sync-raw-child.js");
  const { stdout } = await run(process.execPath, [child, queuePath, brokerUrl], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as RawResult;
}

const drainBenchmark: Benchmark = {
  name: "sync-drain",
  description:
    "backlog drain to a local Mosquitto with end-to-end acks vs raw QoS 1 publishes; RSS of a 50,000-record drain",
  run: async (): Promise<readonly Figure[]> => {
    if (mosquittoPath === undefined)
      throw new Error("mosquitto is not installed: run bash test/install-test-tools.sh");
    const dir = mkdtempSync(join(tmpdir(), "basma-bench-drain-"));
    const broker = await startMosquitto();
    try {
      const count = 2_000;
      const queuePath = join(dir, "queue.sqlite");
      seedQueue(queuePath, count, (i) => kioskRecord(i % 8));
      const raw = await rawPublish(queuePath, broker.url);
      const rawRate = raw.records / raw.seconds;
      const acked = await drain(queuePath, broker.url, dir);
      const ackedRate = acked.records / acked.seconds;

      const bigQueue = join(dir, "queue-50k.sqlite");
      // Small images: 50,000 kiosk records would be 7 GB; memory is about the count.
      const smallRecord = benchRecord("kiosk-two-index", [2, 7], (position) =>
        renderSimplePrint({ seed: 1, position, width: 64, height: 48 }),
      );
      seedQueue(bigQueue, 50_000, () => smallRecord);
      const big = await drain(bigQueue, broker.url, dir);
      return [
        {
          metric: "kiosk record on the wire",
          value: raw.wireBytes / raw.records / 1024,
          unit: "KiB/record",
        },
        { metric: `raw QoS 1 publish (${count} records)`, value: rawRate, unit: "records/s" },
        { metric: "drain with end-to-end acks", value: ackedRate, unit: "records/s" },
        { metric: "drain / raw (target >= 0.5)", value: ackedRate / rawRate, unit: "x" },
        {
          metric: "drain CPU",
          value: (acked.cpuSeconds * 1000) / acked.records,
          unit: "ms/record",
        },
        {
          metric: `peak RSS, ${count}-kiosk-record drain`,
          value: acked.peakRssBytes / 1024 ** 2,
          unit: "MiB",
        },
        {
          metric: "50,000 small records drained",
          value: big.records / big.seconds,
          unit: "records/s",
        },
        {
          metric: "peak RSS, 50,000-record drain (target <= 150)",
          value: big.peakRssBytes / 1024 ** 2,
          unit: "MiB",
        },
      ];
    } finally {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

const fleetBenchmark: Benchmark = {
  name: "sync-fleet",
  description: "200 simulated terminals in one process reconnecting after a broker outage",
  run: () => runFleet({ terminals: 200, backlogPerTerminal: 20, outageMs: 5_000 }),
};

export const syncBenchmarks: readonly Benchmark[] = [drainBenchmark, fleetBenchmark];

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { uuidv7 } from "uuidv7";
import { readDeviceKeyFile } from "../../agent/queue/device-keys.js";
import { defaultKeyFile, Outbox } from "../../agent/queue/outbox.js";
import { sealPayload, unwrapDataKey } from "../../agent/queue/payload-cipher.js";
import { chainLink, payloadDigest, signLink } from "../../agent/queue/record-chain.js";
import type { FingerPosition } from "../../agent/capture/finger-position.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
import { encodeCaptureRecord } from "../../agent/records/record-codec.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import type { Benchmark, Figure } from "../benchmark.js";
import { benchRecord } from "../bench-records.js";

/** Where the queue files go: a real disk, or fsync costs nothing (BASMA_BENCH_DIR to choose). */
const benchRoot = (): string => process.env.BASMA_BENCH_DIR ?? tmpdir();

/** A record as a session produces it: one R307 image (256x288) per finger. */
function sessionRecord(
  person: number,
  plan: string,
  positions: readonly FingerPosition[],
): CaptureRecord {
  return benchRecord(plan, positions, (position) =>
    renderPrint({ seed: person, position, sensor: "r307" }),
  );
}

const KINDS = [
  { name: "kiosk (2 images)", plan: "kiosk-two-index", positions: [2, 7], iterations: 200 },
  {
    name: "ten-print (10 images)",
    plan: "ten-print-442",
    positions: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    iterations: 80,
  },
] as const;

/** The bare baseline: the same pragmas as the outbox, one INSERT per transaction. */
function bareDatabase(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("auto_vacuum = INCREMENTAL");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  db.pragma("secure_delete = ON");
  db.exec(`CREATE TABLE records (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,
    created_at TEXT NOT NULL, payload BLOB NOT NULL) STRICT`);
  return db;
}

const percentile = (sorted: readonly number[], fraction: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] ??
  Number.NaN;

const summarise = (samples: number[]) => {
  samples.sort((a, b) => a - b);
  const total = samples.reduce((a, b) => a + b, 0);
  return {
    meanMs: total / samples.length,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
  };
};

const elapsedMs = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e6;

/**
 * Outbox enqueue (encode, seal, chain, sign, check limits, one fsynced transaction)
 * against a bare INSERT of the same encoded bytes, one transaction each, interleaved
 * record by record so both see the same disk.
 */
function enqueueFigures(dir: string): Figure[] {
  const figures: Figure[] = [];
  for (const [k, kind] of KINDS.entries()) {
    const templates = Array.from({ length: 3 }, (_, person) =>
      sessionRecord(person + 1, kind.plan, kind.positions),
    );
    const outbox = Outbox.open(join(dir, `outbox-${k}.sqlite`));
    const bare = bareDatabase(join(dir, `bare-${k}.sqlite`));
    const insert = bare.prepare(
      "INSERT INTO records (id, seq, created_at, payload) VALUES (?, ?, ?, ?)",
    );
    const encoded = templates.map((record) => encodeCaptureRecord(record));
    const outboxSamples: number[] = [];
    const bareSamples: number[] = [];
    const warmup = 10;
    let seq = 0;
    let outboxTotalMs = 0;
    for (let i = 0; i < warmup + kind.iterations; i++) {
      const template = templates[i % templates.length] as CaptureRecord;
      const bytes = encoded[i % encoded.length] as Uint8Array;
      const record = { ...template, id: uuidv7() };
      const t0 = process.hrtime.bigint();
      outbox.enqueue(record);
      const outboxMs = elapsedMs(t0);
      const t1 = process.hrtime.bigint();
      bare.transaction(() => insert.run(uuidv7(), ++seq, record.finishedAt, bytes))();
      const bareMs = elapsedMs(t1);
      if (i < warmup) continue;
      outboxSamples.push(outboxMs);
      bareSamples.push(bareMs);
      outboxTotalMs += outboxMs;
    }
    outbox.close();
    bare.close();
    const o = summarise(outboxSamples);
    const b = summarise(bareSamples);
    const size = (encoded[0]?.length ?? 0) / 1024;
    figures.push(
      { metric: `${kind.name}: record size`, value: size, unit: "KiB" },
      { metric: `${kind.name}: outbox enqueue p50`, value: o.p50Ms, unit: "ms" },
      { metric: `${kind.name}: outbox enqueue p99`, value: o.p99Ms, unit: "ms" },
      {
        metric: `${kind.name}: outbox throughput`,
        value: (kind.iterations * 1000) / outboxTotalMs,
        unit: "records/s",
      },
      { metric: `${kind.name}: bare INSERT p50`, value: b.p50Ms, unit: "ms" },
      { metric: `${kind.name}: bare INSERT p99`, value: b.p99Ms, unit: "ms" },
      { metric: `${kind.name}: overhead p50 (target <= 1.5)`, value: o.p50Ms / b.p50Ms, unit: "x" },
      { metric: `${kind.name}: overhead mean`, value: o.meanMs / b.meanMs, unit: "x" },
      { metric: `${kind.name}: overhead p99`, value: o.p99Ms / b.p99Ms, unit: "x" },
    );
  }
  return figures;
}

/**
 * A queue of `target` genuine records (sealed, chained, signed; each its own id)
 * written quickly: the first through the outbox (schema, keys), the rest in batches
 * with synchronous off. Stops at `fallback` records when the first thousand show that
 * `target` would take longer than `budgetMs`. Returns how many it wrote.
 */
function buildQueue(
  path: string,
  { target, fallback, budgetMs }: { target: number; fallback: number; budgetMs: number },
): { records: number; seconds: number; fellBack: boolean } {
  const started = process.hrtime.bigint();
  const templates = Array.from({ length: 4 }, (_, person) =>
    sessionRecord(person + 1, "kiosk-two-index", [2, 7]),
  );
  const first = Outbox.open(path);
  first.enqueue({ ...(templates[0] as CaptureRecord), id: uuidv7() });
  first.close();
  const keys = readDeviceKeyFile(defaultKeyFile(path));
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const wrapped = db
    .prepare<[], { wrapped_data_key: Buffer }>("SELECT wrapped_data_key FROM queue_keys")
    .get();
  if (wrapped === undefined) throw new Error("bench queue has no data key");
  const dataKey = unwrapDataKey(keys.wrappingKey, wrapped.wrapped_data_key);
  const head = db
    .prepare<[], { seq: number; link: Buffer }>("SELECT seq, link FROM chain_head")
    .get();
  if (head === undefined) throw new Error("bench queue has no chain head");
  let { seq, link } = head;
  const insert = db.prepare(
    `INSERT INTO records (id, seq, created_at, payload, payload_bytes, state, nonce,
       payload_digest, previous_link, link, signature) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)`,
  );
  const batch = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) {
      const record = { ...(templates[seq % templates.length] as CaptureRecord), id: uuidv7() };
      const payload = encodeCaptureRecord(record);
      const sealed = sealPayload(dataKey, record.id, payload);
      const digest = payloadDigest(payload);
      const next = chainLink({
        id: record.id,
        seq: seq + 1,
        payloadDigest: digest,
        previousLink: link,
      });
      insert.run(
        record.id,
        seq + 1,
        record.finishedAt,
        sealed.ciphertext,
        sealed.ciphertext.length,
        sealed.nonce,
        digest,
        link,
        next,
        signLink(keys.signingKey, next),
      );
      seq++;
      link = next;
    }
  });
  let goal = target;
  let fellBack = false;
  while (seq < goal) {
    batch(Math.min(500, goal - seq));
    if (!fellBack && goal === target && seq >= 1_000) {
      const projectedMs = (elapsedMs(started) / seq) * target;
      if (projectedMs > budgetMs) {
        goal = fallback;
        fellBack = true;
      }
    }
  }
  db.prepare("UPDATE chain_head SET seq = ?, link = ? WHERE id = 1").run(seq, link);
  db.prepare("UPDATE counters SET value = ? WHERE name = 'record_seq'").run(seq);
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return { records: seq, seconds: elapsedMs(started) / 1000, fellBack };
}

interface OpenResult {
  records: number;
  openMs: number;
  statsMs: number;
  leaseMs: number;
  peakRssBytes: number;
}

function openInChild(path: string): OpenResult {
  const child = spawnSync(
    process.execPath,
    [fileURLToPath(new URL("./queue-open-child.js", import.meta.url)), path],
    { encoding: "utf8" },
  );
  if (child.status !== 0) throw new Error(`queue-open-child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as OpenResult;
}

const queueDurability: Benchmark = {
  name: "queue-durable",
  description:
    "outbox enqueue of kiosk and ten-print records vs a bare fsynced INSERT; open time and peak RSS with a big queue",
  run: () => {
    const dir = mkdtempSync(join(benchRoot(), "basma-bench-queue-"));
    try {
      const figures = enqueueFigures(dir);
      const target = Number(process.env.BASMA_BENCH_QUEUE_RECORDS ?? 50_000);
      const path = join(dir, "big.sqlite");
      const built = buildQueue(path, { target, fallback: 10_000, budgetMs: 60_000 });
      const first = openInChild(path);
      const second = openInChild(path);
      const n = built.records;
      figures.push(
        {
          metric: `records queued${built.fellBack ? ` (${target} would not build in 60 s)` : ""}`,
          value: n,
          unit: "records",
        },
        { metric: `build ${n} records`, value: built.seconds, unit: "s" },
        { metric: `queue file with ${n}`, value: statSync(path).size / 1024 ** 3, unit: "GiB" },
        {
          metric: `open with ${n} (first, start-up check)`,
          value: first.openMs,
          unit: "ms",
        },
        { metric: `open with ${n} (again)`, value: second.openMs, unit: "ms" },
        { metric: `stats + health with ${n}`, value: second.statsMs, unit: "ms" },
        { metric: `lease 16 of ${n}`, value: second.leaseMs, unit: "ms" },
        {
          metric: `peak RSS, agent queue with ${n}`,
          value: Math.max(first.peakRssBytes, second.peakRssBytes) / 1024 ** 2,
          unit: "MiB",
        },
      );
      return Promise.resolve(figures);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export const queueBenchmarks: readonly Benchmark[] = [queueDurability];

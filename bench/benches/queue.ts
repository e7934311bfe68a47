import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { uuidv7 } from "uuidv7";
import { ChainAppender } from "../../agent/queue/chain-appender.js";
import { readDeviceKeyFile } from "../../agent/queue/device-keys.js";
import { defaultKeyFile, Outbox, type SealedRecord } from "../../agent/queue/outbox.js";
import { unwrapDataKey } from "../../agent/queue/payload-cipher.js";
import { sealCaptureRecord } from "../../agent/queue/record-sealing.js";
import type { FingerPosition } from "../../agent/capture/finger-position.js";
import type { CaptureRecord } from "../../agent/records/capture-record.js";
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

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

/**
 * The durable write (Outbox.append: limits, chain link and signature, one fsynced
 * transaction) against a bare INSERT of the same sealed bytes with the same pragmas,
 * one transaction each, interleaved record by record (alternating which goes first) so
 * both see the same disk. The CPU half (Outbox.seal: CBOR encoding, digest,
 * AES-256-GCM) is timed apart, as CPU time, and end to end (seal + append) as well.
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
    const appendSamples: number[] = [];
    const enqueueSamples: number[] = [];
    const bareSamples: number[] = [];
    const sealCpu: number[] = [];
    const warmup = 10;
    let seq = 0;
    let appendTotalMs = 0;
    for (let i = 0; i < warmup + kind.iterations; i++) {
      const template = templates[i % templates.length] as CaptureRecord;
      const record = { ...template, id: uuidv7() };
      const sealStarted = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const sealed: SealedRecord = outbox.seal(record);
      const sealCpuMs = cpuMs(cpu0);
      const sealMs = elapsedMs(sealStarted);
      const durable = (): number => {
        const t = process.hrtime.bigint();
        outbox.append(sealed);
        return elapsedMs(t);
      };
      const baseline = (): number => {
        const t = process.hrtime.bigint();
        bare.transaction(() => insert.run(uuidv7(), ++seq, record.finishedAt, sealed.ciphertext))();
        return elapsedMs(t);
      };
      // Alternate which goes first: a commit right after another one's fsync finds the
      // file system journal freshly flushed, which would favour whichever always followed.
      let appendMs: number;
      let bareMs: number;
      if (i % 2 === 0) {
        appendMs = durable();
        bareMs = baseline();
      } else {
        bareMs = baseline();
        appendMs = durable();
      }
      const enqueueMs = sealMs + appendMs;
      if (i < warmup) continue;
      appendSamples.push(appendMs);
      enqueueSamples.push(enqueueMs);
      bareSamples.push(bareMs);
      sealCpu.push(sealCpuMs);
      appendTotalMs += appendMs;
    }
    outbox.close();
    bare.close();
    const a = summarise(appendSamples);
    const e = summarise(enqueueSamples);
    const b = summarise(bareSamples);
    const c = summarise(sealCpu);
    const size = outbox.seal(templates[0] as CaptureRecord).ciphertext.length / 1024;
    figures.push(
      { metric: `${kind.name}: record size (sealed)`, value: size, unit: "KiB" },
      {
        metric: `${kind.name}: seal (encode, digest, encrypt) p50`,
        value: c.p50Ms,
        unit: "ms CPU",
      },
      { metric: `${kind.name}: durable write (append) p50`, value: a.p50Ms, unit: "ms" },
      { metric: `${kind.name}: durable write (append) p99`, value: a.p99Ms, unit: "ms" },
      {
        metric: `${kind.name}: durable write throughput`,
        value: (kind.iterations * 1000) / appendTotalMs,
        unit: "records/s",
      },
      { metric: `${kind.name}: bare INSERT p50`, value: b.p50Ms, unit: "ms" },
      { metric: `${kind.name}: bare INSERT p99`, value: b.p99Ms, unit: "ms" },
      {
        metric: `${kind.name}: write overhead p50 (target <= 1.5)`,
        value: a.p50Ms / b.p50Ms,
        unit: "x",
      },
      { metric: `${kind.name}: write overhead mean`, value: a.meanMs / b.meanMs, unit: "x" },
      { metric: `${kind.name}: write overhead p99`, value: a.p99Ms / b.p99Ms, unit: "x" },
      { metric: `${kind.name}: enqueue end to end p50`, value: e.p50Ms, unit: "ms" },
      { metric: `${kind.name}: enqueue end to end p99`, value: e.p99Ms, unit: "ms" },
      {
        metric: `${kind.name}: end-to-end overhead p50 (seal included)`,
        value: e.p50Ms / b.p50Ms,
        unit: "x",
      },
    );
  }
  return figures;
}

/**
 * A queue of `target` genuine records (sealed, chained, signed by the outbox's own
 * appender; each its own id) written quickly: the first through the outbox (schema,
 * keys), the rest in batches of 500 appends per transaction with synchronous off.
 * Stops at `fallback` records when the first thousand show that `target` would take
 * longer than `budgetMs`. Returns how many it wrote.
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
  const appender = new ChainAppender(db, keys.signingKey);
  let written = 1;
  const batch = db.transaction((count: number) => {
    for (let i = 0; i < count; i++) {
      const template = templates[written % templates.length] as CaptureRecord;
      appender.append(sealCaptureRecord(dataKey, { ...template, id: uuidv7() }));
      written++;
    }
  });
  let goal = target;
  let fellBack = false;
  while (written < goal) {
    batch(Math.min(500, goal - written));
    if (!fellBack && goal === target && written >= 1_000) {
      const projectedMs = (elapsedMs(started) / written) * target;
      if (projectedMs > budgetMs) {
        goal = fallback;
        fellBack = true;
      }
    }
  }
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.close();
  return { records: written, seconds: elapsedMs(started) / 1000, fellBack };
}

interface OpenResult {
  records: number;
  openMs: number;
  statsMs: number;
  leaseMs: number;
  liveLeaseMs: number;
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
      const budgetSeconds = Number(process.env.BASMA_BENCH_QUEUE_BUDGET_S ?? 600);
      const built = buildQueue(path, { target, fallback: 10_000, budgetMs: budgetSeconds * 1000 });
      const first = openInChild(path);
      const second = openInChild(path);
      const n = built.records;
      figures.push(
        {
          metric: `records queued${built.fellBack ? ` (${target} would not build in ${budgetSeconds} s)` : ""}`,
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
          metric: `lease 16 of ${n}, live sessions first (8 live)`,
          value: second.liveLeaseMs,
          unit: "ms",
        },
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

import { Outbox } from "../../agent/queue/outbox.js";
import { peakRssBytes } from "../peak-rss.js";

/**
 * Run as its own process by the queue benchmark, so its peak RSS is the agent's queue
 * alone: opens the queue at argv[2] (start-up check included), then does what the agent
 * does at start and while delivering (stats, health, a lease of a delivery window, one
 * with live sessions ahead of the backlog), and prints the timings and peak RSS as JSON.
 */
const path = process.argv[2];
if (path === undefined) throw new Error("usage: queue-open-child.js QUEUE_FILE");
const rssBefore = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
const outbox = Outbox.open(path, { createKeyFile: false });
const opened = process.hrtime.bigint();
const stats = outbox.stats();
outbox.health();
const t1 = process.hrtime.bigint();
const leased = outbox.lease(16, 60_000);
outbox.release();
const t2 = process.hrtime.bigint();
const live = outbox.lease(16, 60_000, { liveAfterSeq: stats.lastSeq - 8 });
outbox.release();
const t3 = process.hrtime.bigint();
outbox.close();
process.stdout.write(
  `${JSON.stringify({
    records: stats.records,
    openMs: Number(opened - t0) / 1e6,
    statsMs: Number(t1 - opened) / 1e6,
    leaseMs: Number(t2 - t1) / 1e6,
    liveLeaseMs: Number(t3 - t2) / 1e6,
    leased: leased.length,
    liveLeased: live.length,
    rssBeforeBytes: rssBefore,
    peakRssBytes: peakRssBytes(),
  })}\n`,
);

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { uuidv7 } from "uuidv7";
import { parseAgentConfig } from "../../agent/config/load.js";
import { createLogger } from "../../agent/log/logger.js";
import { Outbox } from "../../agent/queue/outbox.js";
import { CentreSync } from "../../agent/sync/centre-sync.js";
import { mosquittoPath, startMosquitto } from "../../hardware-sim/broker/mosquitto.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";
import { renderSimplePrint } from "../../hardware-sim/prints/simple-print.js";
import type { Figure } from "../benchmark.js";
import { benchRecord } from "../bench-records.js";

export interface FleetOptions {
  readonly terminals: number;
  readonly backlogPerTerminal: number;
  readonly outageMs: number;
}

interface Terminal {
  readonly outbox: Outbox;
  readonly sync: CentreSync;
  reconnectedAt?: number;
}

const silent = createLogger({ name: "bench", level: "silent" });
const progress = (text: string): void => {
  process.stderr.write(`  sync-fleet: ${text}\n`);
};

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * N terminals (own queue, own connection, the agent's default reconnect policy) on one
 * Mosquitto; the broker goes away while each queues a backlog, then comes back on the
 * same port. Reports how the reconnects spread and how long until every backlog is in.
 */
export async function runFleet(options: FleetOptions): Promise<readonly Figure[]> {
  if (mosquittoPath === undefined)
    throw new Error("mosquitto is not installed: run bash test/install-test-tools.sh");
  const dir = mkdtempSync(join(tmpdir(), "basma-bench-fleet-"));
  // A production broker keeps sessions across a restart; the terminals and the centre
  // resume theirs.
  const persistence = { dir };
  let broker = await startMosquitto({ persistence });
  const store = new CentralStore(join(dir, "central.sqlite"));
  const central = new ReferenceCentral({
    brokerUrl: broker.url,
    topicPrefix: "basma",
    store,
    logger: silent,
    persistentSession: true,
  });
  const terminals: Terminal[] = [];
  try {
    await central.start();
    for (let i = 0; i < options.terminals; i++) {
      const deviceId = `fleet-${String(i).padStart(4, "0")}`;
      const config = parseAgentConfig({ device: { id: deviceId }, mqtt: { url: broker.url } });
      const outbox = Outbox.open(join(dir, `${deviceId}.sqlite`));
      const sync = new CentreSync({
        mqtt: config.mqtt,
        deviceId,
        outbox,
        logger: silent,
        agentVersion: "bench",
      });
      sync.start();
      terminals.push({ outbox, sync });
    }
    await until(() => terminals.every((t) => t.sync.connected), 60_000);
    progress(`${options.terminals} terminals connected; stopping the broker`);

    await broker.stop();
    await until(() => terminals.every((t) => !t.sync.connected), 30_000);
    const record = benchRecord("kiosk-two-index", [2, 7], (position) =>
      renderSimplePrint({ seed: 3, position, width: 128, height: 128 }),
    );
    for (const terminal of terminals)
      for (let r = 0; r < options.backlogPerTerminal; r++)
        terminal.outbox.enqueue({ ...record, id: uuidv7() });
    progress(`backlogs queued; broker down for ${options.outageMs} ms`);
    await sleep(options.outageMs);

    broker = await startMosquitto({ port: broker.port, persistence });
    const back = performance.now();
    await until(
      () => {
        const now = performance.now();
        for (const terminal of terminals)
          if (terminal.reconnectedAt === undefined && terminal.sync.connected)
            terminal.reconnectedAt = now - back;
        return terminals.every((t) => t.reconnectedAt !== undefined);
      },
      600_000,
      10,
    );
    progress("every terminal reconnected; draining");
    await until(() => terminals.every((t) => t.outbox.stats().records === 0), 600_000);
    const drainedS = (performance.now() - back) / 1_000;

    const delays = terminals.map((t) => t.reconnectedAt ?? Number.NaN).sort((a, b) => a - b);
    const perSecond = new Map<number, number>();
    for (const delay of delays)
      perSecond.set(Math.floor(delay / 1_000), (perSecond.get(Math.floor(delay / 1_000)) ?? 0) + 1);
    return [
      { metric: "terminals", value: options.terminals, unit: "" },
      { metric: "outage", value: options.outageMs / 1_000, unit: "s" },
      { metric: "first reconnect after broker back", value: (delays[0] ?? 0) / 1_000, unit: "s" },
      { metric: "median reconnect", value: quantile(delays, 0.5) / 1_000, unit: "s" },
      { metric: "90th percentile reconnect", value: quantile(delays, 0.9) / 1_000, unit: "s" },
      { metric: "last reconnect", value: (delays.at(-1) ?? 0) / 1_000, unit: "s" },
      {
        metric: "most reconnects in one second",
        value: Math.max(...perSecond.values()),
        unit: "terminals",
      },
      {
        metric: `every backlog drained (${options.backlogPerTerminal} records each)`,
        value: drainedS,
        unit: "s",
      },
    ];
  } finally {
    await Promise.all(terminals.map((t) => t.sync.stop()));
    for (const t of terminals) t.outbox.close();
    await central.stop();
    store.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(check: () => boolean, timeoutMs: number, intervalMs = 50): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline)
      throw new Error(`fleet benchmark timed out after ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

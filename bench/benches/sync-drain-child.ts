import { parseAgentConfig } from "../../agent/config/load.js";
import { createLogger } from "../../agent/log/logger.js";
import { Outbox } from "../../agent/queue/outbox.js";
import { CentreSync } from "../../agent/sync/centre-sync.js";
import { peakRssBytes } from "../peak-rss.js";

/**
 * The terminal side of the drain benchmark, in a process of its own so the RSS it
 * reports is the agent's alone: opens the queue at argv[2], drains it to the broker at
 * argv[3] with end-to-end acknowledgements, prints the timings and memory as JSON.
 */
const [path, url, windowArg] = process.argv.slice(2);
if (path === undefined || url === undefined)
  throw new Error("usage: sync-drain-child.js QUEUE_FILE BROKER_URL [WINDOW]");
const config = parseAgentConfig({
  device: { id: "bench" },
  mqtt: { url, inFlightWindow: Number(windowArg ?? 64) },
});
const outbox = Outbox.open(path, { createKeyFile: false });
const records = outbox.stats().records;
const sync = new CentreSync({
  mqtt: config.mqtt,
  deviceId: "bench",
  outbox,
  logger: createLogger({ name: "bench", level: "silent" }),
  agentVersion: "bench",
});
const cpu0 = process.cpuUsage();
const t0 = process.hrtime.bigint();
sync.start();
await new Promise<void>((resolve) => {
  const poll = setInterval(() => {
    if (outbox.stats().records === 0) {
      clearInterval(poll);
      resolve();
    }
  }, 20);
});
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
await sync.stop();
outbox.close();
process.stdout.write(
  `${JSON.stringify({
    records,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: peakRssBytes(),
    bytesPublished: sync.counters.bytesPublished,
  })}\n`,
);

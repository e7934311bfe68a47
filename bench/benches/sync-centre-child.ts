import { createInterface } from "node:readline";
import { createLogger } from "../../agent/log/logger.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";

/**
 * The centre side of the drain benchmark, in a process of its own as a real centre would
 * be: run in the benchmark's own process it paid for that process's heap (every loaded
 * benchmark, the seeding's garbage), about half again its CPU per record. Stores to the
 * file at argv[3] from the broker at argv[2]; prints "ready" once subscribed, and on
 * "stop" from stdin stops and prints its CPU time as JSON.
 */
const [url, storePath] = process.argv.slice(2);
if (url === undefined || storePath === undefined)
  throw new Error("usage: sync-centre-child.js BROKER_URL STORE_FILE");
const store = new CentralStore(storePath);
const central = new ReferenceCentral({
  brokerUrl: url,
  topicPrefix: "basma",
  store,
  logger: createLogger({ name: "bench-centre", level: "silent" }),
});
await central.start();
const cpu0 = process.cpuUsage();
process.stdout.write("ready\n");
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== "stop") continue;
  const { user, system } = process.cpuUsage(cpu0);
  await central.stop();
  store.close();
  process.stdout.write(`${JSON.stringify({ cpuSeconds: (user + system) / 1e6 })}\n`);
  break;
}

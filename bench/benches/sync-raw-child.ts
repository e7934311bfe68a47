import mqtt from "mqtt";
import { Outbox } from "../../agent/queue/outbox.js";
import { encodeRecordMessage } from "../../agent/sync/wire.js";

/**
 * The baseline of the drain benchmark, in a process of its own like the drain, so
 * neither run leaves hundreds of megabytes of garbage in the process the centre runs
 * in: encodes every record of the queue at argv[2] exactly as the agent would, then
 * publishes the messages raw at QoS 1 to the broker at argv[3] with the agent's client
 * settings (agent/sync/broker-link.ts) and window. The queue is left as it was.
 */
const [path, url] = process.argv.slice(2);
if (path === undefined || url === undefined)
  throw new Error("usage: sync-raw-child.js QUEUE_FILE BROKER_URL");
const WINDOW = 64;
const outbox = Outbox.open(path, { createKeyFile: false });
const messages = outbox
  .lease(outbox.stats().records, 60_000)
  .map((record) => Buffer.from(encodeRecordMessage("bench", record, outbox.signer)));
outbox.release();
outbox.close();
const client = await mqtt.connectAsync(url, { protocolVersion: 5, clean: true, writeCache: false });
const t0 = process.hrtime.bigint();
for (let start = 0; start < messages.length; start += WINDOW) {
  await Promise.all(
    messages
      .slice(start, start + WINDOW)
      .map((message) => client.publishAsync("basma/devices/raw/records", message, { qos: 1 })),
  );
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
await client.endAsync();
process.stdout.write(
  `${JSON.stringify({
    records: messages.length,
    seconds,
    wireBytes: messages.reduce((sum, message) => sum + message.byteLength, 0),
  })}\n`,
);

import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { AgentConfig } from "../agent/config/schema.js";
import { defaultKeyFile, Outbox } from "../agent/queue/outbox.js";
import type { OutboxStats } from "../agent/queue/outbox-types.js";
import type { QueueHealth } from "../agent/queue/storage-limits.js";
import { messageOf } from "../agent/cli-support/command-io.js";

export type QueueBacklog =
  | { readonly state: "absent"; readonly path: string }
  | {
      readonly state: "open";
      readonly path: string;
      readonly stats: OutboxStats;
      readonly health: QueueHealth;
      readonly chainVerified: boolean;
    }
  | { readonly state: "unreadable"; readonly path: string; readonly error: string };

/** The queue and device key files of a configuration, as the agent resolves them. */
export function queueFiles(config: AgentConfig): { queue: string; key: string } {
  const queue = resolve(config.queue.path);
  return {
    queue,
    key: config.queue.keyFile === undefined ? defaultKeyFile(queue) : resolve(config.queue.keyFile),
  };
}

/**
 * What the queue holds, read the way `basma-agent queue stats` does: without the start-up
 * check (never moving a file under a running agent) and without creating a key.
 */
export function readQueueBacklog(config: AgentConfig): QueueBacklog {
  const files = queueFiles(config);
  if (!existsSync(files.queue)) return { state: "absent", path: files.queue };
  let outbox: Outbox | undefined;
  try {
    outbox = Outbox.open(files.queue, {
      keyFile: files.key,
      createKeyFile: false,
      startupCheck: false,
      mustExist: true,
      limits: {
        maxRecords: config.queue.maxRecords,
        maxBytes: config.queue.maxBytes,
        reserveFreeBytes: config.queue.reserveFreeBytes,
        warnAtFraction: config.queue.warnAtFraction,
      },
    });
    return {
      state: "open",
      path: files.queue,
      stats: outbox.stats(),
      health: outbox.health(),
      chainVerified: outbox.verifyChain({ decrypt: false }).ok,
    };
  } catch (error) {
    return { state: "unreadable", path: files.queue, error: messageOf(error) };
  } finally {
    outbox?.close();
  }
}

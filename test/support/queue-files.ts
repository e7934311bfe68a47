import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Outbox, type OutboxOptions } from "../../agent/queue/outbox.js";

/** A queue path in a fresh folder of its own (the device key lands beside it). */
export const freshQueuePath = (): string =>
  join(mkdtempSync(join(tmpdir(), "basma-outbox-")), "nested", "queue.sqlite");

/** Opens outboxes and closes whatever a test left open. */
export function outboxTracker(): {
  open: (path: string, options?: OutboxOptions) => Outbox;
  closeAll: () => void;
} {
  const opened: Outbox[] = [];
  return {
    open: (path, options) => {
      const outbox = Outbox.open(path, options);
      opened.push(outbox);
      return outbox;
    },
    closeAll: () => {
      for (const outbox of opened.splice(0)) outbox.close();
    },
  };
}

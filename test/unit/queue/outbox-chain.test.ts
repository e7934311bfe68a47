import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

/** A closed queue of `count` records, for tampering with behind the outbox's back. */
function queueOf(count: number): { path: string; ids: string[] } {
  const path = freshQueuePath();
  const outbox = outboxes.open(path);
  const ids = Array.from({ length: count }, (_, i) => outbox.enqueue(makeRecord(i)).id);
  outboxes.closeAll();
  return { path, ids };
}

function tamper(path: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path);
  db.prepare(sql).run(...params);
  db.close();
}

describe("outbox hash chain", () => {
  it("verifies a queue it wrote, before and after acknowledgements, payloads included", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const ids = Array.from({ length: 6 }, (_, i) => outbox.enqueue(makeRecord(i)).id);
    expect(outbox.verifyChain({ decrypt: true })).toEqual({ ok: true, checked: 6, problems: [] });
    for (const index of [0, 1, 3]) outbox.acknowledge(ids[index] ?? "");
    const report = outbox.verifyChain({ decrypt: true });
    expect(report.problems).toEqual([]);
    // seq 1 was pruned; seq 2 stays as the anchor of seq 3, seq 4 as a tombstone in the middle.
    expect(report.checked).toBe(5);
  });

  it("links each record to the one before it and signs the link", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    outbox.enqueue(makeRecord(1));
    outbox.enqueue(makeRecord(2));
    const [first, second] = outbox.oldest(2).map((record) => record.chain);
    expect(Buffer.from(first?.previousLink ?? [])).toEqual(Buffer.alloc(32));
    expect(Buffer.from(second?.previousLink ?? [])).toEqual(Buffer.from(first?.link ?? [1]));
    expect(first?.signature).toHaveLength(64);
  });

  it("detects a record removed from the middle", () => {
    const { path, ids } = queueOf(4);
    tamper(path, "DELETE FROM records WHERE id = ?", ids[1]);
    const report = outboxes.open(path).verifyChain();
    expect(report.ok).toBe(false);
    expect(report.problems).toContain("records missing between seq 1 and 3");
  });

  it("detects the newest record removed", () => {
    const { path, ids } = queueOf(3);
    tamper(path, "DELETE FROM records WHERE id = ?", ids[2]);
    expect(outboxes.open(path).verifyChain().problems).toEqual([
      "newest records missing: head is seq 3, last row is seq 2",
    ]);
  });

  it("detects an altered digest, an altered ciphertext and a forged link", () => {
    const { path, ids } = queueOf(3);
    tamper(path, "UPDATE records SET payload_digest = zeroblob(32) WHERE id = ?", ids[0]);
    tamper(
      path,
      "UPDATE records SET payload = CAST(substr(payload, 2) || X'00' AS BLOB) WHERE id = ?",
      ids[1],
    );
    const outbox = outboxes.open(path);
    const report = outbox.verifyChain({ decrypt: true });
    expect(report.problems).toContainEqual(expect.stringMatching(/^seq 1 .*link does not match/));
    expect(report.problems).toContainEqual(expect.stringMatching(/^seq 2 .*fails authentication/));
    expect(() => outbox.oldest(3)).toThrow(/record seq 2 .* fails authentication/);
  });

  it("detects two records swapped", () => {
    const { path, ids } = queueOf(3);
    const db = new Database(path);
    db.transaction(() => {
      db.prepare("UPDATE records SET seq = -1 WHERE id = ?").run(ids[0]);
      db.prepare("UPDATE records SET seq = 1 WHERE id = ?").run(ids[1]);
      db.prepare("UPDATE records SET seq = 2 WHERE id = ?").run(ids[0]);
    })();
    db.close();
    const report = outboxes.open(path).verifyChain();
    expect(report.ok).toBe(false);
    expect(report.problems.join("\n")).toMatch(/link does not match|does not follow/);
  });
});

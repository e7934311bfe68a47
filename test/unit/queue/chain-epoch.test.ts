import { closeSync, openSync, writeSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { GENESIS_LINK } from "../../../agent/queue/record-chain.js";
import type { QueuedRecord } from "../../../agent/queue/outbox.js";
import { decodeRecordMessage, encodeRecordMessage } from "../../../agent/sync/wire.js";
import {
  chainFault,
  epochKey,
  observeChain,
  type ChainEntryView,
  type ChainLookup,
} from "../../../hardware-sim/central/chain-check.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

/** What a centre would receive for each record: encoded, decoded, checked. */
function overTheWire(records: readonly QueuedRecord[], signer: Buffer) {
  return records.map((record) => {
    const message = decodeRecordMessage(encodeRecordMessage("gate-1", record, signer));
    if (message.chain === undefined) throw new Error("no chain fields");
    return { ...message, chain: message.chain };
  });
}

/** A centre's store of links, keyed by device, epoch and seq as chain-check asks. */
function centreStore(): ChainLookup & { add(epoch: string, entry: ChainEntryView): void } {
  const entries = new Map<string, ChainEntryView & { epoch: string }>();
  return {
    add: (epoch, entry) => entries.set(`${epoch}/${entry.seq}`, { ...entry, epoch }),
    entry: (_device, epoch, seq) => entries.get(`${epoch}/${seq}`),
    entryByLink: (_device, link) => {
      for (const entry of entries.values())
        if (Buffer.from(entry.link).equals(link)) return { epoch: entry.epoch, seq: entry.seq };
      return undefined;
    },
  };
}

/** Overwrites one page of the file: damage the start-up check must notice. */
function smashPage(path: string, page: number): void {
  const fd = openSync(path, "r+");
  writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, (page - 1) * 4096);
  closeSync(fd);
}

describe("chain epochs", () => {
  it("binds a fresh queue's epoch into every link, and the centre verifies it from the wire", () => {
    const outbox = outboxes.open(freshQueuePath());
    for (let i = 0; i < 3; i++) outbox.enqueue(makeRecord(i));
    const { epoch, follows } = outbox.chain();
    expect(epoch).toHaveLength(16);
    expect(follows).toBeNull();
    const messages = overTheWire(outbox.lease(10, 60_000), outbox.signer);
    expect(
      messages.map((m) => Buffer.from(m.chain.epoch ?? []).equals(epoch ?? Buffer.alloc(0))),
    ).toEqual([true, true, true]);
    expect(messages.map((m) => chainFault(m))).toEqual([undefined, undefined, undefined]);
    expect(Buffer.from(messages[0]?.chain.prev ?? []).equals(GENESIS_LINK)).toBe(true);
    // The epoch is covered by the link: carried over to another chain, the record fails.
    const second = messages[1];
    if (second === undefined) throw new Error("nothing leased");
    const moved = { ...second, chain: { ...second.chain, epoch: Buffer.alloc(16, 7) } };
    expect(chainFault(moved)).toMatch(/does not match/);
    const stripped = { ...second, chain: { ...second.chain, epoch: undefined } };
    expect(chainFault(stripped)).toMatch(/does not match/);
  });

  it("keeps the epoch-less links of a chain begun before epochs", () => {
    const path = freshQueuePath();
    outboxes.open(path);
    outboxes.closeAll();
    const db = new Database(path);
    db.prepare("UPDATE chain_head SET epoch = NULL").run();
    db.close();
    const outbox = outboxes.open(path);
    outbox.enqueue(makeRecord(1));
    outbox.enqueue(makeRecord(2));
    expect(outbox.chain().epoch).toBeNull();
    expect(outbox.verifyChain({ decrypt: true }).ok).toBe(true);
    const messages = overTheWire(outbox.lease(10, 60_000), outbox.signer);
    expect(messages.map((m) => m.chain.epoch)).toEqual([undefined, undefined]);
    expect(messages.map((m) => chainFault(m))).toEqual([undefined, undefined]);
  });

  it("after a damaged file is set aside, starts a new epoch that declares the head it follows", () => {
    const path = freshQueuePath();
    const first = outboxes.open(path);
    for (let i = 0; i < 3; i++) first.enqueue(makeRecord(i));
    const oldEpoch = first.chain().epoch;
    const oldMessages = overTheWire(first.oldest(10), first.signer);
    outboxes.closeAll();
    const db = new Database(path);
    db.pragma("wal_checkpoint(TRUNCATE)");
    const seqIndexRoot = db
      .prepare<[], { rootpage: number }>(
        "SELECT rootpage FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' AND sql IS NULL ORDER BY name DESC LIMIT 1",
      )
      .get()?.rootpage;
    db.close();
    smashPage(path, seqIndexRoot ?? 0);

    const fresh = outboxes.open(path);
    expect(fresh.damaged?.head?.seq).toBe(3);
    const { epoch, follows } = fresh.chain();
    expect(epoch).toHaveLength(16);
    expect(epoch?.equals(oldEpoch ?? Buffer.alloc(0))).toBe(false);
    expect(follows?.seq).toBe(3);
    expect(follows?.epoch?.equals(oldEpoch ?? Buffer.alloc(0))).toBe(true);
    expect(fresh.enqueue(makeRecord(9)).seq).toBe(1);
    expect(fresh.verifyChain().ok).toBe(true);
    const [restart] = overTheWire(fresh.lease(1, 60_000), fresh.signer);
    if (restart === undefined) throw new Error("nothing leased");
    expect(chainFault(restart)).toBeUndefined();
    expect(
      Buffer.from(restart.chain.prev).equals(oldMessages[2]?.chain.link ?? Buffer.alloc(0)),
    ).toBe(true);

    // The centre that holds the old chain sees a declared restart, not a break at seq 1.
    const store = centreStore();
    for (const m of oldMessages)
      store.add(epochKey(m.chain.epoch), {
        seq: m.seq,
        previousLink: m.chain.prev,
        link: m.chain.link,
        signer: m.chain.signer,
      });
    const seen = observeChain("gate-1", restart, store);
    expect(seen.breaks).toEqual([]);
    expect(seen.start).toEqual({ kind: "follows", epoch: epochKey(oldEpoch ?? undefined), seq: 3 });
    // One that never received the old head learns the old chain's tail went with the file.
    expect(observeChain("gate-1", restart, centreStore()).start).toEqual({
      kind: "follows-unreceived",
    });
    // Within an epoch a record that does not follow its stored neighbour is still a break.
    const oldSecond = oldMessages[1];
    if (oldSecond === undefined) throw new Error("no old record");
    const forged = {
      ...oldSecond,
      chain: { ...oldSecond.chain, prev: Buffer.alloc(32, 1) },
    };
    expect(observeChain("gate-1", forged, store).breaks).toEqual([
      "seq 2 does not follow the stored seq 1",
    ]);
  });
});

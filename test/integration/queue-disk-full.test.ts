import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { QueueRoom } from "../../agent/capture/capture-loop.js";
import { DeviceKeyError } from "../../agent/queue/device-keys.js";
import { Outbox } from "../../agent/queue/outbox.js";
import { QueueStorageError } from "../../agent/queue/storage-errors.js";
import { QueueFullError } from "../../agent/queue/storage-limits.js";
import { outboxTracker } from "../support/queue-files.js";
import { makeRecord } from "../support/records.js";

/** A real R307-sized image: about 74 KiB per record, and incompressible once sealed. */
const IMAGE = { width: 256, height: 288 };
const TMPFS_BYTES = 6 * 1024 ** 2;

function mount(...args: string[]): void {
  execFileSync("mount", args, { stdio: "pipe" });
}

/** Why this machine cannot mount a small file system for the test, or undefined when it can. */
function cannotMount(): string | undefined {
  if (process.getuid?.() !== 0) return "mounting a tmpfs needs root";
  const probe = mkdtempSync(join(tmpdir(), "basma-mount-probe-"));
  try {
    mount("-t", "tmpfs", "-o", "size=1m", "basma-probe", probe);
    execFileSync("umount", [probe]);
    return undefined;
  } catch (error) {
    return `mount -t tmpfs is not permitted here (${String((error as { stderr?: unknown }).stderr ?? error).trim()})`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

const skipReason = cannotMount();
if (skipReason !== undefined) console.warn(`queue disk-full tests skipped: ${skipReason}`);

const outboxes = outboxTracker();
let mountPoint = "";

/** Fills the file system until about `leave` bytes stay free; returns the filler's path. */
function fill(leave: number): string {
  const filler = join(mountPoint, `filler-${readdirSync(mountPoint).length}`);
  const { bavail, bsize } = statfsSync(mountPoint);
  writeFileSync(filler, Buffer.alloc(Math.max(0, bavail * bsize - leave)));
  return filler;
}

function integrity(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma("integrity_check", { simple: true });
  } finally {
    db.close();
  }
}

describe.skipIf(skipReason !== undefined)(
  `the queue on a real full or read-only file system${skipReason === undefined ? "" : ` (skipped: ${skipReason})`}`,
  () => {
    beforeAll(() => {
      mountPoint = mkdtempSync(join(tmpdir(), "basma-small-fs-"));
      mount("-t", "tmpfs", "-o", `size=${TMPFS_BYTES},mode=0700`, "basma-queue-test", mountPoint);
    });
    afterEach(() => {
      outboxes.closeAll();
      // Every test starts on a writable, empty file system.
      mount("-o", "remount,rw", mountPoint);
      for (const name of readdirSync(mountPoint))
        rmSync(join(mountPoint, name), { recursive: true, force: true });
    });
    afterAll(() => {
      if (mountPoint === "") return;
      execFileSync("umount", [mountPoint]);
      rmSync(mountPoint, { recursive: true, force: true });
    });

    it("refuses a record with a typed error when the disk fills mid-write, loses nothing, and resumes when space returns", () => {
      const path = join(mountPoint, "queue.sqlite");
      const health: string[] = [];
      // No limit of the queue's own stands in the way: the file system itself must refuse.
      const outbox = outboxes.open(path, {
        limits: { reserveFreeBytes: 0 },
        onHealthChange: (h) => health.push(h.level),
      });
      const earlier = [1, 2, 3].map((seed) => outbox.enqueue(makeRecord(seed, IMAGE)));
      const recordBytes = earlier[0]?.payloadBytes ?? 0;
      // Room for the record's bytes, so the queue's free-disk check lets it through,
      // but not for the WAL frames, index pages and headers SQLite writes with it.
      const filler = fill(recordBytes + 8 * 1024);
      const refused = makeRecord(4, IMAGE);
      let error: unknown;
      try {
        outbox.enqueue(refused);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(QueueStorageError);
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error).toMatchObject({ problem: "disk-full", code: "SQLITE_FULL" });
      expect((error as Error).message).toMatch(
        /the disk is full \(SQLITE_FULL\).*nothing was stored/,
      );

      // Nothing half-written, nothing earlier touched.
      expect(integrity(path)).toBe("ok");
      expect(outbox.stats()).toMatchObject({ records: 3, lastSeq: 3 });
      expect(outbox.has(refused.id)).toBe(false);
      expect(outbox.oldest(10).map((r) => r.id)).toEqual(earlier.map((r) => r.id));
      expect(outbox.verifyChain({ decrypt: true })).toMatchObject({ ok: true, problems: [] });

      // Captures pause: the queue reports itself full and the capture loop's check says no.
      expect(outbox.health()).toMatchObject({ level: "full" });
      expect(outbox.health().reasons[0]).toMatch(/disk is full \(SQLITE_FULL\): captures paused/);
      expect(outbox.canAcceptSession()).toBe(false);
      expect(health).toContain("full");

      // Space comes back (here: the filler goes); no reopen, no restart.
      rmSync(filler);
      expect(outbox.canAcceptSession()).toBe(true);
      expect(outbox.health().level).not.toBe("full");
      expect(outbox.enqueue(refused).seq).toBe(4);
      expect(outbox.verifyChain({ decrypt: true })).toMatchObject({ ok: true, checked: 4 });
      expect(integrity(path)).toBe("ok");
    });

    it("keeps the capture loop out of service while the queue has no room, and wakes it when room returns", async () => {
      const path = join(mountPoint, "queue.sqlite");
      const outbox = outboxes.open(path, { limits: { reserveFreeBytes: 0 } });
      outbox.enqueue(makeRecord(1, IMAGE));
      // Less than a session's worth of space left: the loop must not start one.
      const filler = fill(64 * 1024);
      expect(outbox.canAcceptSession()).toBe(false);
      const room = new QueueRoom();
      let woke = false;
      const waiting = room.wait(60_000).then(() => {
        woke = true;
      });
      rmSync(filler);
      // The sync layer notifies after acknowledgements; freed disk is noticed the same way.
      expect(outbox.canAcceptSession()).toBe(true);
      room.notify();
      await waiting;
      expect(woke).toBe(true);
    });

    it("reports a read-only file system as a typed error at open, and starts once it is writable", () => {
      const path = join(mountPoint, "queue.sqlite");
      const limits = { reserveFreeBytes: 0 };
      outboxes.open(path, { limits }).enqueue(makeRecord(1, IMAGE));
      outboxes.closeAll();
      mount("-o", "remount,ro", mountPoint);
      let error: unknown;
      try {
        outboxes.open(path, { limits });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(QueueStorageError);
      expect((error as QueueStorageError).problem).toBe("read-only");
      expect((error as Error).message).toMatch(/read-only/);
      mount("-o", "remount,rw", mountPoint);
      const reopened = outboxes.open(path, { limits });
      expect(reopened.stats()).toMatchObject({ records: 1, lastSeq: 1 });
      expect(reopened.enqueue(makeRecord(2, IMAGE)).seq).toBe(2);
      expect(reopened.verifyChain({ decrypt: true }).ok).toBe(true);
    });

    it("never leaves a partial device key behind when its disk is full or read-only", () => {
      // The queue on a roomy disk, its key on the small one: the key write itself fails.
      const queueDir = mkdtempSync(join(tmpdir(), "basma-key-on-small-fs-"));
      const keyFile = join(mountPoint, "device-key");
      try {
        fill(0);
        expect(() => Outbox.open(join(queueDir, "queue.sqlite"), { keyFile })).toThrow(
          new DeviceKeyError(`cannot create device key file ${keyFile}: the disk is full (ENOSPC)`),
        );
        expect(readdirSync(mountPoint).filter((name) => name !== "filler-0")).toEqual([]);
        rmSync(join(mountPoint, "filler-0"));
        mount("-o", "remount,ro", mountPoint);
        expect(() => Outbox.open(join(queueDir, "queue.sqlite"), { keyFile })).toThrow(
          /cannot create device key file .*: the file system is read-only \(EROFS\)/,
        );
        mount("-o", "remount,rw", mountPoint);
        // Once the disk takes writes the same queue starts with a whole key.
        const outbox = outboxes.open(join(queueDir, "queue.sqlite"), { keyFile });
        expect(outbox.createdKeyFile).toBe(true);
        expect(outbox.enqueue(makeRecord(1)).seq).toBe(1);
      } finally {
        outboxes.closeAll();
        rmSync(queueDir, { recursive: true, force: true });
      }
    });

    it("reports a read-only file system when a new queue cannot even be created", () => {
      mount("-o", "remount,ro", mountPoint);
      let error: unknown;
      try {
        Outbox.open(join(mountPoint, "queue.sqlite"));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(QueueStorageError);
      expect(error).toMatchObject({ problem: "read-only" });
    });
  },
);

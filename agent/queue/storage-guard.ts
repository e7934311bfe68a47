import { accessSync, constants } from "node:fs";
import { dirname } from "node:path";
import type Database from "better-sqlite3";
import { describeProblem, type QueueStorageError } from "./storage-errors.js";
import {
  assessHealth,
  freeDiskBytes,
  type QueueHealth,
  type StorageLimits,
} from "./storage-limits.js";

/**
 * The queue's room: the limits against totals the database keeps by trigger (never a
 * count of the table), the free disk, and whether the file system last refused a
 * write. After a refusal the queue reports itself full, so the terminal stops taking
 * travellers, until the file system takes writes again.
 */
export class StorageGuard {
  readonly #path: string;
  readonly #limits: StorageLimits;
  readonly #onHealthChange: ((health: QueueHealth) => void) | undefined;
  readonly #totals: Database.Statement<[], { name: string; value: number }>;
  readonly #quarantined: Database.Statement<[], { n: number }>;
  #refused: { error: QueueStorageError; bytes: number } | undefined;
  #level: QueueHealth["level"] | undefined;

  constructor(
    db: Database.Database,
    path: string,
    limits: StorageLimits,
    onHealthChange: ((health: QueueHealth) => void) | undefined,
  ) {
    this.#path = path;
    this.#limits = limits;
    this.#onHealthChange = onHealthChange;
    this.#totals = db.prepare(
      "SELECT name, value FROM counters WHERE name IN ('stored_records', 'stored_bytes')",
    );
    this.#quarantined = db.prepare("SELECT count(*) AS n FROM quarantine");
  }

  get limits(): StorageLimits {
    return this.#limits;
  }

  /** Health if `incoming` were added; the current health without it. */
  assess(incoming?: { records: number; bytes: number }): QueueHealth {
    this.#recheckRefusal();
    const base = assessHealth(this.#usage(), this.#limits, incoming);
    if (this.#refused !== undefined) {
      const { problem, code } = this.#refused.error;
      const refusal = `${describeProblem(problem)} (${code}): captures paused until it takes writes again`;
      return {
        ...base,
        level: "full",
        reasons: [refusal, ...(base.level === "full" ? base.reasons : [])],
      };
    }
    const quarantined = this.#quarantined.get()?.n ?? 0;
    if (quarantined === 0 || base.level === "full") return base;
    return {
      ...base,
      level: "warning",
      reasons: [
        ...(base.level === "warning" ? base.reasons : []),
        `${quarantined} record${quarantined === 1 ? "" : "s"} quarantined (unreadable, or refused by the centre): kept and not sent`,
      ],
    };
  }

  /** The file system refused a write of `bytes`: full until it could take it. */
  refused(error: QueueStorageError, bytes: number): void {
    this.#refused = { error, bytes };
    this.report(this.assess());
  }

  /** A write went through: whatever refused before has passed. */
  accepted(): void {
    this.#refused = undefined;
  }

  /** Calls the health alarm when the level changed (not for a first "ok"). */
  report(health: QueueHealth = this.assess()): void {
    if (health.level === this.#level) return;
    const first = this.#level === undefined;
    this.#level = health.level;
    if (first && health.level === "ok") return;
    this.#onHealthChange?.(health);
  }

  /**
   * A refusal stands while its cause is still visible: a read-only file system still
   * refuses write access, a full disk still has less free space than the refused
   * record (beyond the reserve). Both
   * checks are system calls, cheap enough to make on every health look-up.
   */
  #recheckRefusal(): void {
    const refused = this.#refused;
    if (refused === undefined || this.#path === ":memory:") return;
    const directory = dirname(this.#path);
    try {
      accessSync(directory, constants.W_OK);
      accessSync(this.#path, constants.W_OK);
    } catch {
      return;
    }
    if (refused.error.problem === "disk-full") {
      const free = freeDiskBytes(directory);
      if (free !== null && free < this.#limits.reserveFreeBytes + refused.bytes) return;
    }
    this.#refused = undefined;
  }

  #usage(): { records: number; bytes: number; freeDiskBytes: number | null } {
    let records = 0;
    let bytes = 0;
    for (const row of this.#totals.all()) {
      if (row.name === "stored_records") records = row.value;
      else bytes = row.value;
    }
    return {
      records,
      bytes,
      freeDiskBytes: this.#path === ":memory:" ? null : freeDiskBytes(dirname(this.#path)),
    };
  }
}

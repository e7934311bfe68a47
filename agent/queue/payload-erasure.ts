import type Database from "better-sqlite3";

/**
 * Longest an acknowledged record's old page images stay in the WAL and in the main
 * file: the WAL is checkpointed (and truncated) at most this long after an
 * acknowledgement.
 */
export const CHECKPOINT_AFTER_ACK_MS = 2_000;

/**
 * Free pages handed back to the file system per step (4 MiB of 4 KiB pages). Emptying
 * a drained 7 GiB file in one go would hold the event loop, and with it the sensor and
 * the gate, for seconds; a step takes a few milliseconds.
 */
const VACUUM_STEP_PAGES = 1024;

/**
 * How acknowledged payloads leave the disk for good.
 *
 * A payload sealed under a key of its own is erased by deleting that key: a small row,
 * which secure_delete zeroes on its b-tree page even in FAST mode, while the payload's
 * many freed pages are left as they are (FAST adds no writes for them), unreadable
 * without the key. Payloads sealed directly under the data key, by versions before
 * record keys, are erased only by overwriting their pages, so while any of those still
 * wait the connection keeps secure_delete fully ON.
 *
 * The zeroes reach the main file at a WAL checkpoint. A checkpoint per acknowledgement
 * would cost an fsync of the file for every burst while a backlog drains, so during a
 * drain they come at most every CHECKPOINT_AFTER_ACK_MS, and at once when the queue runs
 * empty (the steady state of a gate: the live record acknowledged, nothing behind it).
 */
export class PayloadErasure {
  readonly #db: Database.Database;
  readonly #queueIsEmpty: () => boolean;
  readonly #waitingUnderDataKey: Database.Statement<[], { one: number }>;
  readonly #persistent: boolean;
  #overwriting = true;
  #lastCheckpoint = 0;
  #timer: NodeJS.Timeout | undefined;
  #vacuum: NodeJS.Timeout | undefined;

  constructor(
    db: Database.Database,
    options: { persistent: boolean; queueIsEmpty: () => boolean },
  ) {
    this.#db = db;
    this.#persistent = options.persistent;
    this.#queueIsEmpty = options.queueIsEmpty;
    // Every record stored since record keys has one, so rows without are the oldest:
    // one waiting row below the first keyed seq is enough to say some remain. (Rows a
    // key rotation left keyless are quarantined ones under the destroyed old data key.)
    this.#waitingUnderDataKey = db.prepare(
      `SELECT 1 AS one FROM records WHERE state = 'pending'
         AND seq < coalesce((SELECT min(seq) FROM payload_keys), 9223372036854775807) LIMIT 1`,
    );
    this.#db.pragma("secure_delete = ON");
  }

  /** Chooses the secure_delete mode for what the queue holds now. */
  review(): void {
    if (!this.#overwriting || this.#waitingUnderDataKey.get() !== undefined) return;
    this.#db.pragma("secure_delete = FAST");
    this.#overwriting = false;
  }

  /** "on" while payloads sealed under the data key wait, then "fast". */
  get secureDelete(): "on" | "fast" {
    return this.#overwriting ? "on" : "fast";
  }

  /** Call after acknowledgements have committed. */
  acknowledged(): void {
    this.review();
    if (!this.#persistent) return;
    const since = performance.now() - this.#lastCheckpoint;
    if (this.#queueIsEmpty() || since >= CHECKPOINT_AFTER_ACK_MS) {
      this.checkpoint();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      if (!this.#db.open) return;
      try {
        this.checkpoint();
      } catch {
        // Nothing is lost: the pages stay in the WAL and the next acknowledgement retries.
      }
    }, CHECKPOINT_AFTER_ACK_MS - since).unref();
  }

  /**
   * Checkpoints and truncates the WAL now. An empty queue also hands its free pages back
   * to the file system, a step at a time; with records waiting the file keeps them for
   * the next ones, as giving them back would move the waiting payloads' pages.
   */
  checkpoint(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#persistent) return;
    this.#db.pragma("wal_checkpoint(TRUNCATE)");
    this.#lastCheckpoint = performance.now();
    if (this.#queueIsEmpty()) this.#vacuumSoon();
  }

  #vacuumSoon(): void {
    this.#vacuum ??= setTimeout(() => {
      this.#vacuum = undefined;
      if (!this.#db.open || !this.#queueIsEmpty()) return;
      try {
        this.#db.pragma(`incremental_vacuum(${VACUUM_STEP_PAGES})`);
        if (Number(this.#db.pragma("freelist_count", { simple: true })) > 0) this.#vacuumSoon();
        else this.#db.pragma("wal_checkpoint(TRUNCATE)");
      } catch {
        // The space stays in the file, where the next records reuse it; the next
        // checkpoint of an empty queue tries again.
      }
    }, 0).unref();
  }

  /** Before the database closes: no acknowledged payload is left behind in the WAL. */
  close(): void {
    clearTimeout(this.#vacuum);
    this.#vacuum = undefined;
    if (this.#timer !== undefined) this.checkpoint();
  }
}

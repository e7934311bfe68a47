import type { KeyObject } from "node:crypto";
import type Database from "better-sqlite3";
import { chainLink, signLink } from "./record-chain.js";
import type { SealedRecord } from "./record-sealing.js";

interface Head {
  readonly seq: number;
  readonly link: Buffer;
}

interface Guess {
  readonly seq: number;
  readonly previousLink: Buffer;
  readonly link: Buffer;
  readonly signature: Buffer;
}

/**
 * Appends sealed records at the end of the queue's hash chain, one IMMEDIATE
 * transaction each. The previous link and the seq are read inside the transaction, so
 * a second writer on the same file (`basma-agent queue recover` beside a running agent)
 * can never fork the chain. The link and its signature are computed before the
 * transaction from the head this appender last saw: inside, a comparison with the head
 * actually read decides whether that guess stands; only when another process wrote in
 * between are they computed again, under the lock.
 */
export class ChainAppender {
  readonly #signingKey: KeyObject;
  readonly #epoch: Buffer | null;
  readonly #nextSeq: Database.Statement<[], { value: number }>;
  readonly #readHead: Database.Statement<[], Head>;
  readonly #insert: Database.Statement;
  readonly #moveHead: Database.Statement<[number, Buffer]>;
  readonly #insertKey: Database.Statement<[number, Buffer]>;
  readonly #write: Database.Transaction<
    (sealed: SealedRecord, guess: Guess | undefined, now: number) => Head
  >;
  /** The seq counter and head link after this appender's last write, if it has seen them. */
  #last: { counter: number; link: Buffer } | undefined;

  constructor(db: Database.Database, signingKey: KeyObject) {
    this.#signingKey = signingKey;
    this.#nextSeq = db.prepare(
      "UPDATE counters SET value = value + 1 WHERE name = 'record_seq' RETURNING value",
    );
    this.#readHead = db.prepare("SELECT seq, link FROM chain_head WHERE id = 1");
    this.#insert = db.prepare(
      `INSERT INTO records (id, seq, created_at, payload, payload_bytes, state, nonce,
         payload_digest, previous_link, link, signature, enqueued_at)
       VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
    );
    this.#moveHead = db.prepare("UPDATE chain_head SET seq = ?, link = ? WHERE id = 1");
    this.#insertKey = db.prepare("INSERT INTO payload_keys (seq, wrapped_key) VALUES (?, ?)");
    this.#epoch =
      db.prepare<[], { epoch: Buffer | null }>("SELECT epoch FROM chain_head WHERE id = 1").get()
        ?.epoch ?? null;
    this.#write = db.transaction((sealed, guess, now) => this.#writeLocked(sealed, guess, now));
  }

  get epoch(): Buffer | null {
    return this.#epoch;
  }

  /** Stores the record as pending with the next seq; returns the seq once durable. */
  append(sealed: SealedRecord, now = Date.now()): number {
    const guess = this.#guess(sealed);
    this.#last = undefined;
    // IMMEDIATE: take the write lock first, so the head read is the head written after.
    const head = this.#write.immediate(sealed, guess, now);
    this.#last = { counter: head.seq, link: head.link };
    return head.seq;
  }

  #guess(sealed: SealedRecord): Guess | undefined {
    if (this.#last === undefined) return undefined;
    const seq = this.#last.counter + 1;
    return { seq, previousLink: this.#last.link, ...this.#sign(sealed, seq, this.#last.link) };
  }

  #sign(
    sealed: SealedRecord,
    seq: number,
    previousLink: Buffer,
  ): { link: Buffer; signature: Buffer } {
    const link = chainLink({
      id: sealed.id,
      seq,
      payloadDigest: sealed.digest,
      previousLink,
      epoch: this.#epoch,
    });
    return { link, signature: signLink(this.#signingKey, link) };
  }

  #writeLocked(sealed: SealedRecord, guess: Guess | undefined, now: number): Head {
    const seq = this.#nextSeq.get()?.value;
    const head = this.#readHead.get();
    if (seq === undefined || head === undefined)
      throw new Error("outbox counters are missing: the database is damaged");
    const { link, signature } =
      guess !== undefined && guess.seq === seq && guess.previousLink.equals(head.link)
        ? guess
        : this.#sign(sealed, seq, head.link);
    this.#insert.run(
      sealed.id,
      seq,
      sealed.createdAt,
      sealed.ciphertext,
      sealed.ciphertext.length,
      sealed.nonce,
      sealed.digest,
      head.link,
      link,
      signature,
      now,
    );
    this.#insertKey.run(seq, sealed.wrappedKey);
    this.#moveHead.run(seq, link);
    return { seq, link };
  }
}

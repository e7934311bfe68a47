import type { KeyObject } from "node:crypto";
import type Database from "better-sqlite3";
import { payloadDigest, chainLink, verifyLink } from "./record-chain.js";
import { openPayload } from "./payload-cipher.js";

export interface ChainReport {
  readonly ok: boolean;
  /** Rows walked, tombstones of acknowledged records included. */
  readonly checked: number;
  /** What is wrong, by seq and id; never payload content. */
  readonly problems: readonly string[];
}

interface ChainRow {
  id: string;
  seq: number;
  state: string;
  payload_digest: Buffer | null;
  previous_link: Buffer | null;
  link: Buffer | null;
  signature: Buffer | null;
  nonce: Buffer | null;
  wrapped_key: Buffer | null;
  payload: Buffer;
}

const MAX_PROBLEMS = 20;

/**
 * Walks the queue in seq order: every link recomputes from its row, every signature
 * verifies, each row points at its predecessor, seqs have no gaps, and the last row
 * is the recorded head. The oldest row kept is the anchor (older ones were
 * acknowledged and pruned). With `dataKey`, each live payload is also decrypted and
 * compared with its digest.
 */
export function verifyQueueChain(
  db: Database.Database,
  verifyingKey: KeyObject,
  dataKey?: Buffer,
): ChainReport {
  const problems: string[] = [];
  const note = (problem: string): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  let previous: { seq: number; link: Buffer } | undefined;
  let checked = 0;
  const head = db
    .prepare<[], { seq: number; link: Buffer; epoch: Buffer | null }>(
      "SELECT seq, link, epoch FROM chain_head WHERE id = 1",
    )
    .get();
  const rows = db
    .prepare<[], ChainRow>(
      `SELECT id, seq, state, payload_digest, previous_link, link, signature, nonce, payload,
         (SELECT wrapped_key FROM payload_keys k WHERE k.seq = records.seq) AS wrapped_key
       FROM records ORDER BY seq`,
    )
    .iterate();
  for (const row of rows) {
    checked++;
    const where = `seq ${row.seq} (${row.id})`;
    if (!row.payload_digest || !row.previous_link || !row.link || !row.signature) {
      note(`${where}: not sealed into the chain`);
      previous = undefined;
      continue;
    }
    if (previous !== undefined) {
      if (row.seq !== previous.seq + 1)
        note(`records missing between seq ${previous.seq} and ${row.seq}`);
      else if (!row.previous_link.equals(previous.link))
        note(`${where}: does not follow seq ${previous.seq} (altered or reordered)`);
    }
    const link = chainLink({
      id: row.id,
      seq: row.seq,
      payloadDigest: row.payload_digest,
      previousLink: row.previous_link,
      epoch: head?.epoch,
    });
    if (!link.equals(row.link)) note(`${where}: link does not match its content`);
    if (!verifyLink(verifyingKey, row.link, row.signature)) note(`${where}: bad signature`);
    if (dataKey !== undefined && row.state !== "deleted" && row.nonce !== null) {
      try {
        const plain = openPayload(dataKey, row.id, {
          nonce: row.nonce,
          ciphertext: row.payload,
          wrappedKey: row.wrapped_key,
        });
        if (!payloadDigest(plain).equals(row.payload_digest))
          note(`${where}: payload does not match its digest`);
      } catch {
        note(`${where}: payload fails authentication`);
      }
    }
    previous = { seq: row.seq, link: row.link };
  }
  if (head === undefined) note("chain head is missing");
  else if (
    previous !== undefined &&
    (head.seq !== previous.seq || !head.link.equals(previous.link))
  )
    note(`newest records missing: head is seq ${head.seq}, last row is seq ${previous.seq}`);
  else if (previous === undefined && checked === 0 && head.seq !== 0)
    note(`every record up to seq ${head.seq} is gone, tombstones included`);
  return { ok: problems.length === 0, checked, problems };
}

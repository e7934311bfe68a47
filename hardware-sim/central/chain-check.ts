import { createPublicKey, type KeyObject } from "node:crypto";
import {
  chainLink,
  GENESIS_LINK,
  payloadDigest,
  verifyLink,
} from "../../agent/queue/record-chain.js";
import type { RecordChainFields, RecordMessage } from "../../agent/sync/wire.js";

/**
 * The centre's checks on one record message: its link recomputes from what arrived
 * (the chain epoch included, where the chain has one) and its signature verifies.
 * Returns why not, or undefined when it holds.
 */
export function chainFault(
  message: RecordMessage & { chain: RecordChainFields },
): string | undefined {
  const link = chainLink({
    id: message.id,
    seq: message.seq,
    payloadDigest: payloadDigest(message.payload),
    previousLink: message.chain.prev,
    epoch: message.chain.epoch,
  });
  if (!link.equals(message.chain.link)) return "chain link does not match the record (altered)";
  const signer = signerKey(message.chain.signer);
  if (signer === undefined) return "signer is not a public key";
  if (signer.asymmetricKeyType !== "ed25519") return "signer is not an Ed25519 key";
  if (!verifyLink(signer, link, message.chain.sig)) return "bad signature";
  return undefined;
}

/** A fleet has one key per device: parsing the same DER for every record costs more than the signature check. */
const signerKeys = new Map<string, KeyObject>();
const MAX_CACHED_SIGNERS = 4096;

function signerKey(der: Uint8Array): KeyObject | undefined {
  const cacheKey = Buffer.from(der).toString("base64");
  const cached = signerKeys.get(cacheKey);
  if (cached !== undefined) return cached;
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" });
  } catch {
    return undefined;
  }
  // Forged or garbage signers must not grow the cache without bound.
  if (signerKeys.size >= MAX_CACHED_SIGNERS) signerKeys.clear();
  signerKeys.set(cacheKey, key);
  return key;
}

/**
 * A device's seqs are unique within one chain epoch: a queue that restarts (its
 * damaged file set aside) numbers from 1 again under a new epoch. Stores key chain
 * entries by device, this key and seq. "" stands for a chain without an epoch.
 */
export function epochKey(epoch: Uint8Array | undefined): string {
  return epoch === undefined ? "" : Buffer.from(epoch).toString("hex");
}

/** One link as a centre stores it. */
export interface ChainEntryView {
  readonly seq: number;
  readonly previousLink: Uint8Array;
  readonly link: Uint8Array;
  readonly signer: Uint8Array;
}

/** How a centre looks up what it already holds of a device's chains. */
export interface ChainLookup {
  entry(deviceId: string, epoch: string, seq: number): ChainEntryView | undefined;
  /** The stored record whose link this is, in any epoch: what a new chain says it follows. */
  entryByLink(deviceId: string, link: Uint8Array): { epoch: string; seq: number } | undefined;
}

/** A chain that begins (seq 1 of an epoch), and what it declares it follows. */
export type ChainStart =
  | { readonly kind: "first" }
  | { readonly kind: "follows"; readonly epoch: string; readonly seq: number }
  | { readonly kind: "follows-unreceived" };

export interface ChainObservation {
  /** Links that do not fit their stored neighbours: altered, reordered, or forged. */
  readonly breaks: readonly string[];
  /** Set for the first record of an epoch. */
  readonly start?: ChainStart;
}

/**
 * Checks one arriving record against its stored neighbours in the same epoch (records
 * may arrive out of order, so both sides). A gap is not a break: the missing seqs may
 * still arrive. Seq 1 of an epoch is a declared start: after nothing (a first start, or a
 * reset whose old head was unreadable), after a head the centre holds (records of the
 * old chain after it are not coming), or after a head it never received (records of the
 * old chain up to that head went with the damaged file, unless recovered).
 */
export function observeChain(
  deviceId: string,
  message: { seq: number; chain: RecordChainFields },
  lookup: ChainLookup,
): ChainObservation {
  const { seq, chain } = message;
  const epoch = epochKey(chain.epoch);
  const breaks: string[] = [];
  const before = lookup.entry(deviceId, epoch, seq - 1);
  if (before !== undefined && !Buffer.from(before.link).equals(chain.prev))
    breaks.push(`seq ${seq} does not follow the stored seq ${seq - 1}`);
  const after = lookup.entry(deviceId, epoch, seq + 1);
  if (after !== undefined && !Buffer.from(after.previousLink).equals(chain.link))
    breaks.push(`the stored seq ${seq + 1} does not follow seq ${seq}`);
  if (before !== undefined && !Buffer.from(before.signer).equals(chain.signer))
    breaks.push(`seq ${seq} is signed by a different key than seq ${seq - 1}`);
  if (seq !== 1) return { breaks };
  if (GENESIS_LINK.equals(chain.prev)) return { breaks, start: { kind: "first" } };
  const followed = lookup.entryByLink(deviceId, chain.prev);
  return {
    breaks,
    start:
      followed === undefined
        ? { kind: "follows-unreceived" }
        : { kind: "follows", epoch: followed.epoch, seq: followed.seq },
  };
}

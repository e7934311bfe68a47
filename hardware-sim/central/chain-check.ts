import { createPublicKey } from "node:crypto";
import { chainLink, payloadDigest, verifyLink } from "../../agent/queue/record-chain.js";
import type { RecordChainFields, RecordMessage } from "../../agent/sync/wire.js";

/**
 * The centre's checks on one record message: its link recomputes from what arrived
 * and its signature verifies. Returns why not, or undefined when it holds.
 */
export function chainFault(
  message: RecordMessage & { chain: RecordChainFields },
): string | undefined {
  const link = chainLink({
    id: message.id,
    seq: message.seq,
    payloadDigest: payloadDigest(message.payload),
    previousLink: message.chain.prev,
  });
  if (!link.equals(message.chain.link)) return "chain link does not match the record (altered)";
  let signer;
  try {
    signer = createPublicKey({
      key: Buffer.from(message.chain.signer),
      format: "der",
      type: "spki",
    });
  } catch {
    return "signer is not a public key";
  }
  if (signer.asymmetricKeyType !== "ed25519") return "signer is not an Ed25519 key";
  if (!verifyLink(signer, link, message.chain.sig)) return "bad signature";
  return undefined;
}

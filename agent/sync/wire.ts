import { z } from "zod";
import { decodeCbor, encodeCbor } from "../records/record-codec.js";
import type { QueuedRecord } from "../queue/outbox.js";

/** Acknowledgements and status messages. */
export const WIRE_VERSION = 1;
/** Record messages: version 2 added the hash chain and signature. */
export const RECORD_MESSAGE_VERSION = 2;

/** Where the record sits in the device's signed hash chain (see agent/queue/record-chain.ts). */
export interface RecordChainFields {
  /** The previous record's link (32 zero bytes before the first). */
  readonly prev: Uint8Array;
  /** SHA-256(prev | id | seq | SHA-256(payload)). */
  readonly link: Uint8Array;
  /** Ed25519 signature of `link`. */
  readonly sig: Uint8Array;
  /** The device's Ed25519 public key, SubjectPublicKeyInfo DER. */
  readonly signer: Uint8Array;
  /**
   * 16 random bytes naming the chain, bound into every link. A queue that starts afresh
   * (its damaged file set aside) begins a new epoch at seq 1, its first `prev` being the
   * head of the chain it follows where known: a declared restart, not records gone
   * missing. Absent for a chain begun before epochs existed.
   */
  readonly epoch?: Uint8Array | undefined;
}

/** The envelope a record travels in: queue metadata plus the capture record as CBOR. */
export interface RecordMessage {
  readonly v: 1 | typeof RECORD_MESSAGE_VERSION;
  readonly id: string;
  readonly seq: number;
  readonly deviceId: string;
  readonly createdAt: string;
  readonly payload: Uint8Array;
  /** Present from version 2. */
  readonly chain?: RecordChainFields;
}

export function encodeRecordMessage(
  deviceId: string,
  record: QueuedRecord,
  signer: Uint8Array,
): Uint8Array {
  const message: RecordMessage = {
    v: RECORD_MESSAGE_VERSION,
    id: record.id,
    seq: record.seq,
    deviceId,
    createdAt: record.createdAt,
    payload: record.payload,
    chain: {
      prev: record.chain.previousLink,
      link: record.chain.link,
      sig: record.chain.signature,
      signer,
      ...(record.chain.epoch === undefined ? {} : { epoch: record.chain.epoch }),
    },
  };
  return encodeCbor(message);
}

const byteString = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array,
  "expected a byte string",
);
const recordFields = {
  id: z.uuid(),
  seq: z.int().min(1),
  deviceId: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  payload: byteString,
};
const sha256 = byteString.refine((bytes) => bytes.length === 32, "expected 32 bytes");
const recordMessageSchema = z.discriminatedUnion("v", [
  z.strictObject({ v: z.literal(1), ...recordFields }),
  z.strictObject({
    v: z.literal(RECORD_MESSAGE_VERSION),
    ...recordFields,
    chain: z.strictObject({
      prev: sha256,
      link: sha256,
      sig: byteString.refine((bytes) => bytes.length === 64, "expected 64 bytes"),
      signer: byteString,
      epoch: byteString.refine((bytes) => bytes.length === 16, "expected 16 bytes").optional(),
    }),
  }),
]);

const ackMessageSchema = z.strictObject({
  v: z.literal(WIRE_VERSION),
  id: z.uuid(),
  seq: z.int().min(1),
  status: z.literal("stored"),
});

export type AckMessage = z.infer<typeof ackMessageSchema>;

export const statusMessageSchema = z.strictObject({
  v: z.literal(WIRE_VERSION),
  state: z.enum(["online", "offline"]),
  at: z.iso.datetime({ offset: true }),
  version: z.string().optional(),
});

export type StatusMessage = z.infer<typeof statusMessageSchema>;

export class WireError extends Error {
  override readonly name = "WireError";
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join(".") || "(top level)"}: ${issue.message}` : "invalid";
}

/** Inbound from the network: anything that is not a well-formed record message is refused with a reason. */
export function decodeRecordMessage(bytes: Uint8Array): RecordMessage {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch {
    throw new WireError(`record message is not CBOR (${bytes.length} bytes)`);
  }
  const result = recordMessageSchema.safeParse(value);
  if (!result.success) throw new WireError(`invalid record message: ${firstIssue(result.error)}`);
  return result.data;
}

export function encodeAck(ack: AckMessage): Buffer {
  return Buffer.from(JSON.stringify(ack));
}

export function decodeAck(bytes: Uint8Array): AckMessage {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new WireError(`acknowledgement is not JSON (${bytes.length} bytes)`);
  }
  const result = ackMessageSchema.safeParse(value);
  if (!result.success) throw new WireError(`invalid acknowledgement: ${firstIssue(result.error)}`);
  return result.data;
}

export function encodeStatus(status: StatusMessage): Buffer {
  return Buffer.from(JSON.stringify(status));
}

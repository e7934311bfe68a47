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

/** The longest reason a refusal acknowledgement may carry, in characters. */
export const MAX_REFUSAL_REASON = 500;

const ackMessageSchema = z.strictObject({
  v: z.literal(WIRE_VERSION),
  id: z.uuid(),
  seq: z.int().min(1),
  /**
   * "stored": the centre holds the record. "refused": it never will (the record fails its
   * checks: altered, badly signed, not a capture record); sending it again cannot help.
   */
  status: z.enum(["stored", "refused"]),
  /** Why a record was refused, for the field engineer; never biometric data. */
  reason: z.string().min(1).max(MAX_REFUSAL_REASON).optional(),
  /** The centre's clock when it stored the record: gives the terminal its clock offset. */
  at: z.iso.datetime({ offset: true }).optional(),
});

export type AckMessage = z.infer<typeof ackMessageSchema>;

/** Status version 2 added the health fields; the last will carries only the first four. */
export const STATUS_VERSION = 2;

const timestamp = z.iso.datetime({ offset: true });
export const statusMessageSchema = z.strictObject({
  v: z.literal(STATUS_VERSION),
  state: z.enum(["online", "offline"]),
  at: timestamp,
  version: z.string(),
  health: z
    .strictObject({
      /** "out-of-service" while the terminal starts no sessions (queue full, no sensor). */
      capture: z.enum(["in-service", "out-of-service"]),
      sensors: z.array(z.strictObject({ id: z.string(), status: z.string() })),
      queue: z.strictObject({
        records: z.int().min(0),
        payloadBytes: z.int().min(0),
        oldestEnqueuedAt: timestamp.nullable(),
        quarantined: z.int().min(0),
        oldestAgeSeconds: z.number().min(0).nullable(),
        level: z.enum(["ok", "warning", "full"]),
        reasons: z.array(z.string()),
      }),
      disk: z.strictObject({ freeBytes: z.int().min(0).nullable() }),
      lastCaptureAt: timestamp.nullable(),
      /** Centre clock minus terminal clock, from the last acknowledgement; null until one arrives. */
      clockOffsetMs: z.number().nullable(),
      protocolVersion: z.literal([4, 5]),
    })
    .optional(),
});

export type StatusMessage = z.infer<typeof statusMessageSchema>;
export type TerminalHealth = NonNullable<StatusMessage["health"]>;

export const TELEMETRY_VERSION = 1;
export const telemetryMessageSchema = z.strictObject({
  v: z.literal(TELEMETRY_VERSION),
  at: timestamp,
  uptimeSeconds: z.number().min(0),
  /** Totals since the agent started. */
  counters: z.record(z.string(), z.int().min(0)),
  gauges: z.record(z.string(), z.number()),
});

export type TelemetryMessage = z.infer<typeof telemetryMessageSchema>;

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
  return decodeJson(bytes, ackMessageSchema, "acknowledgement");
}

/** Inbound JSON is bounded before parsing: a hostile megabyte of nesting costs nothing. */
const MAX_JSON_BYTES = 64 * 1024;

function decodeJson<T>(bytes: Uint8Array, schema: z.ZodType<T>, what: string): T {
  if (bytes.length > MAX_JSON_BYTES)
    throw new WireError(`${what} too large (${bytes.length} bytes, at most ${MAX_JSON_BYTES})`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    throw new WireError(`${what} is not JSON (${bytes.length} bytes)`);
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new WireError(`invalid ${what}: ${firstIssue(result.error)}`);
  return result.data;
}

export function encodeStatus(status: StatusMessage): Buffer {
  return Buffer.from(JSON.stringify(status));
}

/** For the centre and the tests: a status message from the wire, validated. */
export function decodeStatus(bytes: Uint8Array): StatusMessage {
  return decodeJson(bytes, statusMessageSchema, "status");
}

export function encodeTelemetry(telemetry: TelemetryMessage): Buffer {
  return Buffer.from(JSON.stringify(telemetry));
}

export function decodeTelemetry(bytes: Uint8Array): TelemetryMessage {
  return decodeJson(bytes, telemetryMessageSchema, "telemetry");
}

import { z } from "zod";
import { decodeCbor, encodeCbor } from "../records/record-codec.js";
import type { QueuedRecord } from "../queue/outbox.js";

export const WIRE_VERSION = 1;

/** The envelope a record travels in: queue metadata plus the stored payload as-is. */
export interface RecordMessage {
  readonly v: typeof WIRE_VERSION;
  readonly id: string;
  readonly seq: number;
  readonly deviceId: string;
  readonly createdAt: string;
  readonly payload: Uint8Array;
}

export function encodeRecordMessage(deviceId: string, record: QueuedRecord): Uint8Array {
  const message: RecordMessage = {
    v: WIRE_VERSION,
    id: record.id,
    seq: record.seq,
    deviceId,
    createdAt: record.createdAt,
    payload: record.payload,
  };
  return encodeCbor(message);
}

const recordMessageSchema = z.strictObject({
  v: z.literal(WIRE_VERSION),
  id: z.uuid(),
  seq: z.int().min(1),
  deviceId: z.string().min(1),
  createdAt: z.iso.datetime({ offset: true }),
  payload: z.custom<Uint8Array>((value) => value instanceof Uint8Array, "expected a byte string"),
});

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

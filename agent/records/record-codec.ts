import { decode, encode } from "cborg";
import { z } from "zod";
import { FINGER_POSITION_CODES, type FingerPosition } from "../capture/finger-position.js";
import { CONDITION_VERDICTS } from "../quality/verdict.js";
import type { CaptureRecord } from "./capture-record.js";

/**
 * Records travel and rest as CBOR (RFC 8949): images stay raw byte strings instead
 * of growing by a third as base64 would, and any CBOR library at the centre reads
 * them. cborg is pure JavaScript and strict about what it decodes, which matters
 * for bytes that arrive from the network.
 */
export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, { ignoreUndefinedProperties: true });
}

/** Throws on bytes that are not exactly one well-formed CBOR item. */
export function decodeCbor(bytes: Uint8Array): unknown {
  return decode(bytes, {
    rejectDuplicateMapKeys: true,
    allowUndefined: false,
    allowInfinity: false,
    allowNaN: false,
  });
}

const isoTime = z.iso.datetime({ offset: true });
const bytes = z.custom<Uint8Array>(
  (value) => value instanceof Uint8Array,
  "expected a byte string",
);

const fingerImageSchema = z
  .strictObject({
    width: z.int().min(1).max(4096),
    height: z.int().min(1).max(4096),
    resolutionPpi: z.int().min(100).max(2000),
    pixels: bytes,
  })
  .refine(
    (image) => image.pixels.length === image.width * image.height,
    "expected width x height pixels",
  );

const captureRecordSchema = z.strictObject({
  id: z.uuid({ version: "v7" }),
  device: z.strictObject({
    id: z.string().min(1),
    site: z.string().min(1),
    lane: z.string().min(1),
    direction: z.enum(["entry", "exit"]),
  }),
  plan: z.string().min(1),
  startedAt: isoTime,
  finishedAt: isoTime,
  outcome: z.enum(["complete", "incomplete", "device-fault"]),
  fingers: z.array(
    z.strictObject({
      position: z
        .int()
        .refine(
          (code): code is FingerPosition => FINGER_POSITION_CODES.includes(code as FingerPosition),
          "expected an ISO finger position code",
        ),
      outcome: z.enum(["captured", "placement-timeout", "device-fault"]),
      sensorId: z.string().min(1),
      attempts: z.int().min(0),
      image: fingerImageSchema.optional(),
      quality: z
        .strictObject({
          score: z.number().min(0).max(100),
          measure: z.string().min(1),
          condition: z.enum(CONDITION_VERDICTS),
          measures: z.record(z.string(), z.number()),
        })
        .optional(),
    }),
  ),
});

export function encodeCaptureRecord(record: CaptureRecord): Uint8Array {
  return encodeCbor(record);
}

/** Decodes and validates; the error says what is wrong, never what the pixels were. */
export function decodeCaptureRecord(payload: Uint8Array): CaptureRecord {
  const result = captureRecordSchema.safeParse(decodeCbor(payload));
  if (!result.success) {
    const first = result.error.issues[0];
    throw new Error(
      `invalid capture record: ${first ? `${first.path.join(".") || "(top level)"}: ${first.message}` : "unknown"}`,
    );
  }
  // zod types optional keys as `T | undefined`; the record type spells them as absent.
  return result.data as unknown as CaptureRecord;
}

import { decode, encode } from "cborg";
import { z } from "zod";
import { ByteViewTokenizer } from "./cbor-byte-views.js";
import { FINGER_POSITION_CODES, type FingerPosition } from "../capture/finger-position.js";
import { PROMPT_IDS, type PromptId } from "../guidance/prompt-catalogue.js";
import { CONDITION_VERDICTS, FEEDBACK_CODES } from "../quality/verdict.js";
import { FINGER_OUTCOMES, SESSION_OUTCOMES, type CaptureRecord } from "./capture-record.js";

/**
 * Records travel and rest as CBOR (RFC 8949): images stay raw byte strings instead
 * of growing by a third as base64 would, and any CBOR library at the centre reads
 * them. cborg is pure JavaScript and strict about what it decodes, which matters
 * for bytes that arrive from the network.
 */
export function encodeCbor(value: unknown): Uint8Array {
  return encode(value, { ignoreUndefinedProperties: true });
}

/** Spelt out in full: the tokenizer sees only these, not cborg's defaults. */
const DECODE_OPTIONS = {
  strict: false,
  allowIndefinite: true,
  allowBigInt: true,
  rejectDuplicateMapKeys: true,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
} as const;

/**
 * Throws on bytes that are not exactly one well-formed CBOR item. Byte strings in the
 * result are views into `bytes` (ByteViewTokenizer), which must not be reused after.
 */
export function decodeCbor(bytes: Uint8Array): unknown {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return decode(view, {
    ...DECODE_OPTIONS,
    tokenizer: new ByteViewTokenizer(view, DECODE_OPTIONS),
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

const positionCode = z
  .int()
  .refine(
    (code): code is FingerPosition => FINGER_POSITION_CODES.includes(code as FingerPosition),
    "expected an ISO finger position code",
  );
const millis = z.number().min(0).max(86_400_000);
const captureParameters = z.strictObject({
  gain: z.number().optional(),
  exposure: z.number().optional(),
  illumination: z.number().optional(),
});

const attemptSchema = z.strictObject({
  sensorId: z.string().min(1),
  startedAt: isoTime,
  verdict: z.enum([...CONDITION_VERDICTS, "refused"]),
  score: z.number().min(0).max(100),
  feedback: z.array(z.enum(FEEDBACK_CODES)),
  prompt: z.enum(PROMPT_IDS as [PromptId, ...PromptId[]]).optional(),
  parameters: captureParameters.optional(),
  timings: z.strictObject({
    placementWaitMs: millis,
    captureMs: millis,
    assessmentMs: millis,
  }),
});

const fingerSchema = z
  .strictObject({
    position: positionCode,
    outcome: z.enum(FINGER_OUTCOMES),
    sensorId: z.string().min(1),
    qualityThreshold: z.number().min(0).max(100),
    attempts: z.array(attemptSchema).max(100),
    image: fingerImageSchema.optional(),
    quality: z
      .strictObject({
        score: z.number().min(0).max(100),
        measure: z.string().min(1),
        condition: z.enum(CONDITION_VERDICTS),
        measures: z.record(z.string(), z.number()),
      })
      .optional(),
    bestAttempt: z.int().min(0).optional(),
  })
  .refine(
    (finger) =>
      (finger.outcome === "captured" || finger.outcome === "below-threshold") ===
      (finger.image !== undefined),
    { message: "expected an image exactly when the finger was captured", path: ["image"] },
  )
  .refine(
    (finger) => finger.bestAttempt === undefined || finger.bestAttempt < finger.attempts.length,
    { message: "expected the index of one of the attempts", path: ["bestAttempt"] },
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
  outcome: z.enum(SESSION_OUTCOMES),
  fingers: z.array(fingerSchema),
  sensors: z.array(
    z.strictObject({
      id: z.string().min(1),
      kind: z.string().min(1),
      model: z.string().min(1),
      identity: z.record(z.string(), z.string()),
    }),
  ),
  timings: z.strictObject({
    totalMs: millis,
    travellerMs: millis,
    sensorMs: millis,
    assessmentMs: millis,
  }),
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

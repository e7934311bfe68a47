import { z } from "zod";
import type { CentreKeys } from "./centre-keys.js";

/**
 * Everything the centre signs for a terminal (commands, desired configuration) travels
 * in one JSON envelope that carries the signed bytes themselves, base64-encoded:
 *
 *   {"v":1,"keyId":"centre-2026","body":"<base64 of the body's UTF-8 JSON>","sig":"<base64>"}
 *
 * The signature covers a domain tag and then exactly those bytes. Signing a
 * re-serialisation of a parsed object instead would need both sides to agree on one
 * canonical JSON (key order, number and string escaping), and any disagreement is
 * either a refused good command or, worse, a check that passes on different bytes than
 * the ones acted upon. Carrying the bytes means the terminal verifies before it
 * interprets, and acts on precisely what was signed. The domain tag keeps a signature
 * made for one purpose (a desired configuration) from being accepted for another (a
 * command), although one key signs both.
 */

export const SIGNED_ENVELOPE_VERSION = 1;

export type SignatureDomain = "command" | "desired-config";

const DOMAIN_TAGS: Record<SignatureDomain, string> = {
  command: "basma/command/v1\n",
  "desired-config": "basma/desired-config/v1\n",
};

/** The exact bytes an Ed25519 signature covers: the domain tag, then the body. */
export function signingInput(domain: SignatureDomain, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(DOMAIN_TAGS[domain], "utf8"), body]);
}

export const keyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "expected 1-64 letters, digits, '.', '_' or '-'");

const ED25519_SIGNATURE_BYTES = 64;

const envelopeSchema = z.strictObject({
  v: z.literal(SIGNED_ENVELOPE_VERSION),
  keyId: keyIdSchema,
  body: z.base64().min(1, "expected a non-empty body"),
  sig: z
    .base64()
    .refine(
      (value) => Buffer.from(value, "base64").length === ED25519_SIGNATURE_BYTES,
      `expected a ${ED25519_SIGNATURE_BYTES}-byte Ed25519 signature`,
    ),
});

export type EnvelopeFault =
  "too-large" | "malformed" | "unsigned" | "unknown-key" | "bad-signature";

export type OpenedEnvelope =
  | {
      readonly ok: true;
      readonly keyId: string;
      readonly body: unknown;
      /** The exact bytes that were signed. */
      readonly bodyBytes: Buffer;
    }
  | {
      readonly ok: false;
      readonly fault: EnvelopeFault;
      readonly detail: string;
      /**
       * The body as parsed JSON when it could be read, NOT verified: only for addressing
       * a refusal (its command id), never for acting on.
       */
      readonly untrustedBody?: unknown;
    };

/** A short, safe description of the first problem zod found. */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  const path = issue.path.map(String).join(".") || "(top level)";
  return `${path}: ${issue.message}`;
}

function parseJson(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(Buffer.from(bytes).toString("utf8")) as unknown };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks the envelope and the signature, and only then parses the body. Never throws:
 * every way the bytes can be wrong comes back as a fault with a reason.
 */
export function openSignedEnvelope(
  bytes: Uint8Array,
  domain: SignatureDomain,
  keys: CentreKeys,
  maxBytes: number,
): OpenedEnvelope {
  if (bytes.length > maxBytes) {
    return {
      ok: false,
      fault: "too-large",
      detail: `${bytes.length} bytes, more than the ${maxBytes} allowed`,
    };
  }
  const outer = parseJson(bytes);
  if (!outer.ok) return { ok: false, fault: "malformed", detail: "not JSON" };
  const parsed = envelopeSchema.safeParse(outer.value);
  if (!parsed.success) {
    const unsigned = isObject(outer.value) && !("sig" in outer.value);
    return {
      ok: false,
      fault: unsigned ? "unsigned" : "malformed",
      detail: unsigned ? "the message carries no signature" : firstIssue(parsed.error),
      ...untrustedBodyOf(outer.value),
    };
  }
  const envelope = parsed.data;
  const body = Buffer.from(envelope.body, "base64");
  const readable = parseJson(body);
  const untrusted = readable.ok ? { untrustedBody: readable.value } : {};
  const key = keys.get(envelope.keyId);
  if (key === undefined) {
    return {
      ok: false,
      fault: "unknown-key",
      detail: `key id ${envelope.keyId} is not a configured centre command key`,
      ...untrusted,
    };
  }
  if (!key.verify(signingInput(domain, body), Buffer.from(envelope.sig, "base64"))) {
    return {
      ok: false,
      fault: "bad-signature",
      detail: `the signature does not verify under key ${envelope.keyId}`,
      ...untrusted,
    };
  }
  if (!readable.ok) return { ok: false, fault: "malformed", detail: "the signed body is not JSON" };
  return { ok: true, keyId: envelope.keyId, body: readable.value, bodyBytes: body };
}

/**
 * An unsigned or malformed envelope may still hold a readable body to address a refusal
 * to; a bare command sent without any envelope is its own body.
 */
function untrustedBodyOf(outer: unknown): { untrustedBody?: unknown } {
  if (!isObject(outer)) return {};
  if (typeof outer["body"] !== "string") return { untrustedBody: outer };
  const inner = parseJson(Buffer.from(outer["body"], "base64"));
  return inner.ok ? { untrustedBody: inner.value } : {};
}

/** The envelope the centre publishes, given the body bytes and their signature. */
export function encodeSignedEnvelope(keyId: string, body: Uint8Array, sig: Uint8Array): Buffer {
  return Buffer.from(
    JSON.stringify({
      v: SIGNED_ENVELOPE_VERSION,
      keyId,
      body: Buffer.from(body).toString("base64"),
      sig: Buffer.from(sig).toString("base64"),
    }),
  );
}

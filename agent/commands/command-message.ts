import { z } from "zod";
import { keyIdSchema } from "./signed-envelope.js";

/**
 * The signed body of a centre command (inside the envelope of signed-envelope.ts). The
 * fields common to every kind are checked first, so an unknown kind and bad parameters
 * of a known kind are refused for different, precise reasons.
 */

export const COMMAND_VERSION = 1;

/** What the centre may ask for; each kind's parameters are a strict object. */
export const commandParamsSchemas = {
  /** The authorised gate decision: opens the gate for openMs (the relay caps it). */
  "open-gate": z.strictObject({ openMs: z.int().min(500).max(60_000).optional() }),
  "restart-agent": z.strictObject({ reason: z.string().trim().min(1).max(200).optional() }),
  /** Resend everything not yet acknowledged, and the status and reported configuration. */
  resync: z.strictObject({}),
  "rotate-keys": z.strictObject({
    keys: z
      .array(z.enum(["queue-data-key", "device-signing-key", "tls-client-key"]))
      .min(1, "expected at least one key to rotate")
      .refine((keys) => new Set(keys).size === keys.length, "expected each key once"),
  }),
  "collect-diagnostics": z.strictObject({
    /** How many of the most recent log lines to include. */
    logLines: z.int().min(0).max(1_000).default(200),
  }),
} as const;

export type CommandKind = keyof typeof commandParamsSchemas;
export const COMMAND_KINDS = Object.keys(commandParamsSchemas) as CommandKind[];

export type CommandParams<K extends CommandKind> = z.output<(typeof commandParamsSchemas)[K]>;

const isoTime = z.iso.datetime({ offset: true });

/** Random, single-use; the centre draws at least 128 bits (22 base64url characters). */
export const nonceSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22,128}$/, "expected 22-128 base64url characters");

export const commandHeaderSchema = z.strictObject({
  v: z.literal(COMMAND_VERSION),
  commandId: z.uuid(),
  /** The addressee: a command for another terminal is refused even when well signed. */
  deviceId: z.string().min(1).max(64),
  kind: z.string().min(1).max(64),
  params: z.unknown(),
  issuedAt: isoTime,
  expiresAt: isoTime,
  nonce: nonceSchema,
  /** Must equal the envelope's key id, so the audit trail names the key that really signed. */
  keyId: keyIdSchema,
});

export type CommandHeader = z.output<typeof commandHeaderSchema>;

/** A command whose every check passed, with its kind's parameters parsed. */
export type VerifiedCommand = {
  [K in CommandKind]: {
    readonly kind: K;
    readonly params: CommandParams<K>;
    readonly commandId: string;
    readonly deviceId: string;
    readonly issuedAt: Date;
    readonly expiresAt: Date;
    readonly nonce: string;
    readonly keyId: string;
  };
}[CommandKind];

export function isCommandKind(kind: string): kind is CommandKind {
  return Object.hasOwn(commandParamsSchemas, kind);
}

/** The command id of a body that has not (yet) been trusted, for addressing a refusal. */
export function untrustedCommandId(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const id = (body as Record<string, unknown>)["commandId"];
  return z.uuid().safeParse(id).success ? (id as string) : undefined;
}

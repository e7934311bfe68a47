import { z } from "zod";
import { keyIdSchema } from "../../agent/commands/signed-envelope.js";

/**
 * The enrolment exchange between a terminal and the centre (docs/enrolment.md).
 * Everything the centre sends back is public (certificates, public keys), so the
 * response topic needs no secrecy; the one secret is the claim token, used once.
 */

export const ENROLMENT_VERSION = 1;

const deviceId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "expected 1-64 letters, digits, '.', '_' or '-'");
/** Not secret: it names the claim's topics. */
const claimId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "expected a claim id (8-64 base64url)");
const requestId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "expected a request id");
const pem = (label: string) =>
  z
    .string()
    .max(16_384)
    .includes(`-----BEGIN ${label}-----`, { message: `expected a PEM ${label}` });

/** The bootstrap credential: the file the centre hands over for one terminal's enrolment. */
export const bootstrapCredentialSchema = z.strictObject({
  version: z.literal(ENROLMENT_VERSION),
  claimId,
  /** One-time secret; the centre keeps only its hash. */
  token: z.string().regex(/^[A-Za-z0-9_-]{32,128}$/, "expected a claim token"),
  /** The broker to enrol through (plain or server-authenticated TLS, no client certificate). */
  brokerUrl: z.url({ protocol: /^(mqtts?|wss?)$/ }),
  topicPrefix: z
    .string()
    .regex(/^[^#+]+$/)
    .default("basma"),
  /** The broker the terminal uses with its own identity once enrolled (mqtts://). */
  deviceBrokerUrl: z.url({ protocol: /^(mqtts|wss)$/ }),
  expiresAt: z.iso.datetime({ offset: true }),
  /** When set, only this device id may use the claim. */
  deviceId: deviceId.optional(),
  /** SHA-256 of the CA certificate's DER (hex): the terminal refuses any other CA. */
  caSha256: z
    .string()
    .regex(/^[0-9a-fA-F:]{64,95}$/)
    .optional(),
  /** For an mqtts:// brokerUrl: the CA that signed the broker's certificate. */
  bootstrapCaPem: pem("CERTIFICATE").optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
});
export type BootstrapCredential = z.output<typeof bootstrapCredentialSchema>;

export const enrolRequestSchema = z.strictObject({
  version: z.literal(ENROLMENT_VERSION),
  kind: z.literal("claim"),
  requestId,
  deviceId,
  token: z.string().min(1).max(256),
  csrPem: pem("CERTIFICATE REQUEST"),
});
export type EnrolRequest = z.output<typeof enrolRequestSchema>;

/** Renewal over the device's current identity: the current certificate and a proof of its key. */
export const renewRequestSchema = z.strictObject({
  version: z.literal(ENROLMENT_VERSION),
  kind: z.literal("renew"),
  requestId,
  deviceId,
  csrPem: pem("CERTIFICATE REQUEST"),
  certPem: pem("CERTIFICATE"),
  /** base64 signature by the current key over renewalProofInput(requestId, csrPem). */
  proof: z.string().min(1).max(1_024),
});
export type RenewRequest = z.output<typeof renewRequestSchema>;

export const enrolResponseSchema = z.discriminatedUnion("ok", [
  z.strictObject({
    version: z.literal(ENROLMENT_VERSION),
    ok: z.literal(true),
    requestId,
    certPem: pem("CERTIFICATE"),
    caPem: pem("CERTIFICATE"),
    /** The id commands name their signing key by (commands.centreKeys). */
    commandKeyId: keyIdSchema,
    commandKeyPem: pem("PUBLIC KEY"),
  }),
  z.strictObject({
    version: z.literal(ENROLMENT_VERSION),
    ok: z.literal(false),
    requestId,
    error: z.string().max(500),
  }),
]);
export type EnrolResponse = z.output<typeof enrolResponseSchema>;

/** What the current key signs in a renewal, so a proof cannot be replayed for another CSR. */
export function renewalProofInput(requestId: string, csrPem: string): Buffer {
  return Buffer.from(`basma-renew\n${requestId}\n${csrPem}`, "utf8");
}

export const enrolTopics = {
  /** The centre subscribes to every claim's requests. */
  allClaimRequests: (prefix: string) => `${prefix}/enrol/+/request`,
  claimRequest: (prefix: string, id: string) => `${prefix}/enrol/${id}/request`,
  claimResponse: (prefix: string, id: string) => `${prefix}/enrol/${id}/response`,
  allRenewRequests: (prefix: string) => `${prefix}/renew/+/request`,
  renewRequest: (prefix: string, device: string) => `${prefix}/renew/${device}/request`,
  renewResponse: (prefix: string, device: string) => `${prefix}/renew/${device}/response`,
};

/** The claim id or device id in a request topic, with which kind of request it is. */
export function parseRequestTopic(
  prefix: string,
  topic: string,
): { kind: "claim" | "renew"; id: string } | undefined {
  const match = /^(enrol|renew)\/([^/]+)\/request$/.exec(
    topic.startsWith(`${prefix}/`) ? topic.slice(prefix.length + 1) : "",
  );
  if (match === null) return undefined;
  return { kind: match[1] === "enrol" ? "claim" : "renew", id: match[2] ?? "" };
}

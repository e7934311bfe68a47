import { createHash, randomBytes, timingSafeEqual, verify, X509Certificate } from "node:crypto";
import type { Logger } from "../../agent/log/logger.js";
import {
  ENROLMENT_VERSION,
  enrolRequestSchema,
  enrolTopics,
  parseRequestTopic,
  renewalProofInput,
  renewRequestSchema,
  type BootstrapCredential,
  type EnrolResponse,
  type RenewRequest,
} from "../../provisioning/enrol/enrolment-messages.js";
import { certificateSha256, commonNameOf } from "../../provisioning/identity/certificate-check.js";
import type { TestCertificateAuthority } from "./test-ca.js";

export interface EnrolmentIssuerOptions {
  readonly ca: TestCertificateAuthority;
  /** The centre's Ed25519 public key (SPKI PEM) that terminals verify commands with. */
  readonly commandKeyPem: string;
  /** The id its commands name it by (CommandSigner.keyId). */
  readonly commandKeyId: string;
  readonly topicPrefix: string;
  /** Sends a reply; the issuer publishes nothing else. */
  readonly publish: (topic: string, payload: Buffer) => void | Promise<void>;
  readonly logger?: Logger | undefined;
  readonly certificateValidDays?: number | undefined;
  /** The clock claims expire by (tests move it). */
  readonly now?: (() => Date) | undefined;
}

export interface ClaimOptions {
  /** The broker a terminal enrols through. */
  readonly brokerUrl: string;
  /** The mqtts:// broker it uses with its own certificate afterwards. */
  readonly deviceBrokerUrl: string;
  /** Restrict the claim to one device id. */
  readonly deviceId?: string | undefined;
  /** How long the claim may be used; 30 minutes by default. */
  readonly ttlMs?: number | undefined;
  /** For an mqtts:// brokerUrl: the CA of the broker's certificate. */
  readonly bootstrapCaPem?: string | undefined;
}

export type EnrolmentOutcome =
  | { readonly ok: true; readonly kind: "claim" | "renew"; readonly deviceId: string }
  | { readonly ok: false; readonly reason: string };

interface Claim {
  readonly tokenHash: Buffer;
  readonly expiresAt: number;
  readonly deviceId: string | undefined;
  used: boolean;
}

const DEFAULT_CLAIM_TTL_MS = 30 * 60_000;

const sha256 = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * The centre's side of enrolment (docs/enrolment.md): mints one-time claims, and turns a
 * terminal's certificate signing request into a certificate signed by the CA, with the
 * CA and the command-signing key, either against a claim token (first enrolment) or
 * against the device's current certificate (renewal).
 */
export class EnrolmentIssuer {
  readonly #options: EnrolmentIssuerOptions;
  readonly #claims = new Map<string, Claim>();

  constructor(options: EnrolmentIssuerOptions) {
    this.#options = options;
  }

  /** The topics to subscribe to and pass to handle(). */
  subscriptions(): string[] {
    const prefix = this.#options.topicPrefix;
    return [enrolTopics.allClaimRequests(prefix), enrolTopics.allRenewRequests(prefix)];
  }

  /** A new bootstrap credential, to hand to the field engineer for one terminal. */
  mintClaim(options: ClaimOptions): BootstrapCredential {
    const claimId = randomBytes(12).toString("base64url");
    const token = randomBytes(32).toString("base64url");
    const expiresAt = this.#now() + (options.ttlMs ?? DEFAULT_CLAIM_TTL_MS);
    this.#claims.set(claimId, {
      tokenHash: sha256(token),
      expiresAt,
      deviceId: options.deviceId,
      used: false,
    });
    return {
      version: ENROLMENT_VERSION,
      claimId,
      token,
      brokerUrl: options.brokerUrl,
      deviceBrokerUrl: options.deviceBrokerUrl,
      topicPrefix: this.#options.topicPrefix,
      expiresAt: new Date(expiresAt).toISOString(),
      caSha256: certificateSha256(this.#options.ca.certPem),
      ...(options.deviceId === undefined ? {} : { deviceId: options.deviceId }),
      ...(options.bootstrapCaPem === undefined ? {} : { bootstrapCaPem: options.bootstrapCaPem }),
    };
  }

  /** One message from a request topic; answers on the matching response topic. Never throws. */
  async handle(topic: string, payload: Buffer): Promise<EnrolmentOutcome> {
    const prefix = this.#options.topicPrefix;
    const target = parseRequestTopic(prefix, topic);
    if (target === undefined) return { ok: false, reason: `not an enrolment topic: ${topic}` };
    const responseTopic =
      target.kind === "claim"
        ? enrolTopics.claimResponse(prefix, target.id)
        : enrolTopics.renewResponse(prefix, target.id);
    let requestId: string | undefined;
    try {
      const json = parseJson(payload);
      requestId = requestIdOf(json);
      const issued =
        target.kind === "claim"
          ? await this.#claim(target.id, json)
          : await this.#renew(target.id, json);
      await this.#reply(responseTopic, {
        version: ENROLMENT_VERSION,
        ok: true,
        requestId: issued.requestId,
        certPem: issued.certPem,
        caPem: this.#options.ca.certPem,
        commandKeyId: this.#options.commandKeyId,
        commandKeyPem: this.#options.commandKeyPem,
      });
      this.#options.logger?.info(
        { event: "device-enrolled", kind: target.kind, deviceId: issued.deviceId },
        `issued a certificate to ${issued.deviceId}`,
      );
      return { ok: true, kind: target.kind, deviceId: issued.deviceId };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#options.logger?.warn(
        { event: "enrolment-refused", topic, reason },
        "refused an enrolment request",
      );
      // A reply needs the request id the terminal waits for; without one nobody listens.
      if (requestId !== undefined)
        await this.#reply(responseTopic, {
          version: ENROLMENT_VERSION,
          ok: false,
          requestId,
          error: reason,
        });
      return { ok: false, reason };
    }
  }

  async #claim(
    claimId: string,
    json: unknown,
  ): Promise<{ requestId: string; deviceId: string; certPem: string }> {
    const parsed = enrolRequestSchema.safeParse(json);
    if (!parsed.success) throw new Error("malformed enrolment request");
    const request = parsed.data;
    const claim = this.#claims.get(claimId);
    const presented = sha256(request.token);
    if (claim === undefined || !timingSafeEqual(presented, claim.tokenHash))
      throw new Error("unknown claim or wrong token");
    if (claim.used) throw new Error("this claim has already been used");
    if (this.#now() > claim.expiresAt) throw new Error("this claim has expired");
    if (claim.deviceId !== undefined && claim.deviceId !== request.deviceId)
      throw new Error(`this claim is for device ${claim.deviceId}, not ${request.deviceId}`);
    const certPem = await this.#sign(request.csrPem, request.deviceId);
    claim.used = true;
    return { requestId: request.requestId, deviceId: request.deviceId, certPem };
  }

  async #renew(
    topicDeviceId: string,
    json: unknown,
  ): Promise<{ requestId: string; deviceId: string; certPem: string }> {
    const parsed = renewRequestSchema.safeParse(json);
    if (!parsed.success) throw new Error("malformed renewal request");
    const request = parsed.data;
    if (request.deviceId !== topicDeviceId)
      throw new Error(`device ${request.deviceId} asked on ${topicDeviceId}'s topic`);
    this.#checkCurrentIdentity(request);
    const certPem = await this.#sign(request.csrPem, request.deviceId);
    return { requestId: request.requestId, deviceId: request.deviceId, certPem };
  }

  /** The renewal is made by the holder of a valid certificate this CA gave that device. */
  #checkCurrentIdentity(request: RenewRequest): void {
    let current: X509Certificate;
    try {
      current = new X509Certificate(request.certPem);
    } catch {
      throw new Error("the current certificate does not parse");
    }
    const ca = new X509Certificate(this.#options.ca.certPem);
    if (!current.checkIssued(ca) || !current.verify(ca.publicKey))
      throw new Error("the current certificate is not from this centre's CA");
    if (commonNameOf(current) !== request.deviceId)
      throw new Error("the current certificate is for another device");
    const now = this.#now();
    if (now < Date.parse(current.validFrom) || now > Date.parse(current.validTo))
      throw new Error("the current certificate is not valid now");
    const key = current.publicKey;
    const digest = key.asymmetricKeyType === "ed25519" ? null : "sha256";
    const proof = Buffer.from(request.proof, "base64");
    if (!verify(digest, renewalProofInput(request.requestId, request.csrPem), key, proof))
      throw new Error("the proof of the current key does not verify");
  }

  async #sign(csrPem: string, deviceId: string): Promise<string> {
    try {
      return await this.#options.ca.signCsr(csrPem, {
        expectedCommonName: deviceId,
        ...(this.#options.certificateValidDays === undefined
          ? {}
          : { validDays: this.#options.certificateValidDays }),
      });
    } catch (error) {
      throw new Error(error instanceof Error ? error.message : String(error));
    }
  }

  async #reply(topic: string, response: EnrolResponse): Promise<void> {
    try {
      await this.#options.publish(topic, Buffer.from(JSON.stringify(response)));
    } catch (error) {
      this.#options.logger?.warn({ topic, err: error }, "could not publish an enrolment reply");
    }
  }

  #now(): number {
    return (this.#options.now?.() ?? new Date()).getTime();
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString("utf8"));
  } catch {
    throw new Error("the request is not JSON");
  }
}

function requestIdOf(json: unknown): string | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const id = (json as { requestId?: unknown }).requestId;
  return typeof id === "string" && /^[A-Za-z0-9_-]{8,64}$/.test(id) ? id : undefined;
}

import { z } from "zod";
import { CentreKeyError, CentreKeys } from "../commands/centre-keys.js";
import { firstIssue, keyIdSchema, openSignedEnvelope } from "../commands/signed-envelope.js";
import { ConfigError, parseAgentConfig } from "../config/load.js";
import type { AgentConfig } from "../config/schema.js";
import { MAX_DESIRED_CONFIG_BYTES } from "./remote-config-schema.js";
import { sha256 } from "./remote-config-state.js";

/**
 * The configuration the centre wants a terminal to run, published retained on the
 * terminal's config/desired topic in the same signed envelope as commands (with its own
 * signature domain). Being able to publish on that topic is not enough to change a
 * terminal: it could otherwise install its own command key. A generation number,
 * rising with every new desired configuration, makes a retained message delivered
 * again harmless and an older one (a replay) stale.
 */
export const desiredConfigBodySchema = z.strictObject({
  v: z.literal(1),
  deviceId: z.string().min(1).max(64),
  generation: z.int().min(1).max(Number.MAX_SAFE_INTEGER),
  issuedAt: z.iso.datetime({ offset: true }),
  keyId: keyIdSchema,
  /** The configuration as a config file holds it; defaults fill in at load. */
  config: z.record(z.string(), z.unknown()),
});

export interface DesiredConfig {
  readonly generation: number;
  readonly issuedAt: Date;
  readonly keyId: string;
  /** The configuration as the centre wrote it, which is what goes into the file. */
  readonly input: Readonly<Record<string, unknown>>;
  /** SHA-256 of the signed body: the same generation with other content is a centre error. */
  readonly sha256: string;
}

export type DesiredRefusalCode =
  | "too-large"
  | "malformed"
  | "unsigned"
  | "unknown-key"
  | "bad-signature"
  | "key-mismatch"
  | "wrong-device"
  | "invalid-config"
  | "protected-setting"
  | "write-failed";

export class DesiredConfigRefused extends Error {
  override readonly name = "DesiredConfigRefused";
  constructor(
    readonly code: DesiredRefusalCode,
    readonly detail: string,
    /** Set only once the signature verified: an unverified number must never count. */
    readonly generation?: number,
  ) {
    super(`${code}: ${detail}`);
  }
}

/** Signature, body and addressee; throws DesiredConfigRefused saying why. */
export function verifyDesiredConfig(
  bytes: Uint8Array,
  { deviceId, keys }: { deviceId: string; keys: CentreKeys },
): DesiredConfig {
  const opened = openSignedEnvelope(bytes, "desired-config", keys, MAX_DESIRED_CONFIG_BYTES);
  if (!opened.ok) throw new DesiredConfigRefused(opened.fault, opened.detail);
  const parsed = desiredConfigBodySchema.safeParse(opened.body);
  if (!parsed.success) {
    // Signed by the centre, so its generation (when readable) may carry the refusal.
    const generation = desiredConfigBodySchema.shape.generation.safeParse(
      (opened.body as { generation?: unknown } | null)?.generation,
    );
    throw new DesiredConfigRefused(
      "malformed",
      firstIssue(parsed.error),
      generation.success ? generation.data : undefined,
    );
  }
  const body = parsed.data;
  if (body.keyId !== opened.keyId) {
    throw new DesiredConfigRefused(
      "key-mismatch",
      `signed by ${opened.keyId} but names ${body.keyId}`,
      body.generation,
    );
  }
  if (body.deviceId !== deviceId) {
    throw new DesiredConfigRefused(
      "wrong-device",
      `addressed to ${body.deviceId}, this is ${deviceId}`,
      body.generation,
    );
  }
  return {
    generation: body.generation,
    issuedAt: new Date(body.issuedAt),
    keyId: body.keyId,
    input: body.config,
    sha256: sha256(opened.bodyBytes),
  };
}

/**
 * Settings that name files provisioned on this terminal, or its identity: changed from
 * afar they would strand the queued records (queue file, device key) or make the
 * terminal answer as another one. They change on site, by provisioning.
 */
const PROTECTED_SETTINGS: readonly (readonly string[])[] = [
  ["device", "id"],
  ["queue", "path"],
  ["queue", "keyFile"],
];

/** The desired configuration checked against the agent's schema and the protected settings. */
export function validateDesiredConfig(desired: DesiredConfig, running: AgentConfig): AgentConfig {
  let config: AgentConfig;
  try {
    config = parseAgentConfig(desired.input, `desired configuration ${desired.generation}`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new DesiredConfigRefused("invalid-config", error.problems.join("; "), desired.generation);
  }
  const changed = PROTECTED_SETTINGS.filter(
    (path) => JSON.stringify(valueAt(config, path)) !== JSON.stringify(valueAt(running, path)),
  ).map((path) => path.join("."));
  if (changed.length > 0) {
    throw new DesiredConfigRefused(
      "protected-setting",
      `${changed.join(", ")} can only be changed on the terminal`,
      desired.generation,
    );
  }
  checkCentreKeys(config, running, desired.generation);
  return config;
}

/**
 * The centre must still be able to reach the terminal under the new configuration:
 * its command keys have to exist and load, or every later command and configuration,
 * including the one that would repair this, would be refused.
 */
function checkCentreKeys(config: AgentConfig, running: AgentConfig, generation: number): void {
  const keyFiles = (valueAt(config, ["commands", "centreKeys"]) ?? {}) as Record<string, string>;
  const runningKeys = (valueAt(running, ["commands", "centreKeys"]) ?? {}) as Record<
    string,
    string
  >;
  if (Object.keys(keyFiles).length === 0) {
    if (Object.keys(runningKeys).length === 0) return;
    throw new DesiredConfigRefused(
      "invalid-config",
      "commands.centreKeys: a configuration without centre keys would lock the centre out",
      generation,
    );
  }
  try {
    CentreKeys.fromFiles(keyFiles);
  } catch (error) {
    if (!(error instanceof CentreKeyError)) throw error;
    throw new DesiredConfigRefused(
      "invalid-config",
      `commands.centreKeys: ${error.message}`,
      generation,
    );
  }
}

function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

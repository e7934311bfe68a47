import { z } from "zod";
import type { CentreKeys } from "./centre-keys.js";
import {
  COMMAND_VERSION,
  commandHeaderSchema,
  commandParamsSchemas,
  isCommandKind,
  untrustedCommandId,
  type VerifiedCommand,
} from "./command-message.js";
import { CommandRefused } from "./command-refusal.js";
import type { ReplayStore } from "./replay-store.js";
import { firstIssue, openSignedEnvelope } from "./signed-envelope.js";

export interface CommandLimits {
  /** Longest a command may be valid for (expiresAt - issuedAt). */
  readonly maxLifetimeMs: number;
  /** How far in the future issuedAt may lie, for a centre clock slightly ahead of ours. */
  readonly clockSkewMs: number;
  /** Larger messages are refused unread. */
  readonly maxMessageBytes: number;
}

export interface CommandVerifierOptions {
  /** This terminal's id: every command must be addressed to it. */
  readonly deviceId: string;
  readonly keys: CentreKeys;
  readonly replayStore: ReplayStore;
  readonly limits: CommandLimits;
}

/**
 * Decides whether a command message may act, in an order that does the cheapest and
 * least trusting work first: size, envelope, signature (before anything in the body is
 * believed), body schema, addressee, validity window, kind and parameters, and last the
 * replay check, which also records the command so it can never act a second time.
 *
 * Expiry is strict on the terminal's clock: a command late by a millisecond does
 * nothing, since a late "open" is exactly what must fail safe. The skew allowance only
 * keeps a centre whose clock runs slightly ahead from having fresh commands refused
 * as "not yet valid".
 */
export class CommandVerifier {
  readonly #options: CommandVerifierOptions;

  constructor(options: CommandVerifierOptions) {
    this.#options = options;
  }

  /** The verified command, or throws CommandRefused saying why. */
  verify(message: Uint8Array, now: Date): VerifiedCommand {
    const { keys, limits, deviceId, replayStore } = this.#options;
    const opened = openSignedEnvelope(message, "command", keys, limits.maxMessageBytes);
    if (!opened.ok) {
      throw new CommandRefused(
        opened.fault,
        opened.detail,
        untrustedCommandId(opened.untrustedBody),
        untrustedKind(opened.untrustedBody),
      );
    }
    const commandId = untrustedCommandId(opened.body);
    const header = commandHeaderSchema.safeParse(opened.body);
    if (!header.success) {
      const version = (opened.body as { v?: unknown } | null)?.v;
      if (version !== undefined && version !== COMMAND_VERSION) {
        throw new CommandRefused(
          "unsupported-version",
          `command version ${JSON.stringify(version).slice(0, 20)} is not known here (this terminal reads ${COMMAND_VERSION})`,
          commandId,
        );
      }
      throw new CommandRefused("malformed", firstIssue(header.error), commandId);
    }
    const command = header.data;
    const refuse = (code: ConstructorParameters<typeof CommandRefused>[0], detail: string) =>
      new CommandRefused(code, detail, command.commandId, command.kind);
    if (command.keyId !== opened.keyId) {
      throw refuse("key-mismatch", `signed by ${opened.keyId} but names ${command.keyId}`);
    }
    if (command.deviceId !== deviceId) {
      throw refuse("wrong-device", `addressed to ${command.deviceId}, this is ${deviceId}`);
    }
    const issuedAt = new Date(command.issuedAt);
    const expiresAt = new Date(command.expiresAt);
    const lifetimeMs = expiresAt.getTime() - issuedAt.getTime();
    if (lifetimeMs <= 0) throw refuse("malformed", "expiresAt is not after issuedAt");
    if (lifetimeMs > limits.maxLifetimeMs) {
      throw refuse(
        "lifetime-too-long",
        `valid for ${lifetimeMs} ms, more than the ${limits.maxLifetimeMs} ms allowed`,
      );
    }
    if (issuedAt.getTime() > now.getTime() + limits.clockSkewMs) {
      throw refuse(
        "not-yet-valid",
        `issued at ${command.issuedAt}, later than this terminal's ${now.toISOString()} allows`,
      );
    }
    if (now.getTime() > expiresAt.getTime()) {
      throw refuse("expired", `expired at ${command.expiresAt} (now ${now.toISOString()})`);
    }
    if (issuedAt.getTime() < replayStore.createdAt.getTime()) {
      throw refuse(
        "before-replay-store",
        `issued before this terminal's replay store began (${replayStore.createdAt.toISOString()}), so a replay could not be told apart`,
      );
    }
    if (!isCommandKind(command.kind)) {
      throw refuse("unknown-kind", `"${command.kind}" is not a command this terminal knows`);
    }
    const params = (commandParamsSchemas[command.kind] as z.ZodType).safeParse(command.params);
    if (!params.success) throw refuse("bad-params", firstIssue(params.error));

    // Kept past expiry by one more lifetime, so a clock stepped back a little (NTP)
    // still finds the entry.
    const keepUntil = new Date(expiresAt.getTime() + limits.maxLifetimeMs);
    const fresh = replayStore.remember(
      { commandId: command.commandId, nonce: command.nonce, kind: command.kind, keepUntil },
      now,
    );
    if (!fresh) throw refuse("replayed", "this command id or nonce has been seen before");
    return {
      kind: command.kind,
      params: params.data,
      commandId: command.commandId,
      deviceId: command.deviceId,
      issuedAt,
      expiresAt,
      nonce: command.nonce,
      keyId: command.keyId,
    } as VerifiedCommand;
  }
}

function untrustedKind(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const kind = (body as Record<string, unknown>)["kind"];
  return typeof kind === "string" && kind.length <= 64 ? kind : undefined;
}

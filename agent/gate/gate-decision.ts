/**
 * The only things that may open the gate: a command from the centre that a verifier has
 * checked, or a local operator's override. Both become an AuthorisedGateDecision through
 * authoriseDecision(), the one function that mints one; nothing the capture loop
 * produces (a good image, a complete session) has a path to it. The brand makes a
 * hand-built object a type error, and the relay also checks at run time that it was
 * minted here, so a cast does not open the gate either.
 */

/**
 * A centre command whose signature, addressee (this terminal) and novelty (not a
 * replay) the command verifier (agent/commands/command-verifier.ts) has checked: what
 * the gate trusts is that verifier.
 */
export interface VerifiedGateCommand {
  readonly commandId: string;
  readonly action: "open";
  /** How long the centre wants the gate open; the relay caps it. */
  readonly openMs?: number | undefined;
  readonly issuedAt: Date;
  /** A command still queued in a broker after this, because the link was down, opens nothing. */
  readonly expiresAt: Date;
  /** Which key signed it, for the audit trail. */
  readonly keyId: string;
}

export type GateDecisionRequest =
  | { readonly kind: "centre-command"; readonly command: VerifiedGateCommand }
  | {
      readonly kind: "operator-override";
      /** The operator the terminal has authenticated (console login, key switch). */
      readonly operatorId: string;
      readonly reason: string;
      readonly openMs?: number | undefined;
    };

declare const authorisedBrand: unique symbol;

export type AuthorisedGateDecision = (
  | { readonly source: "centre"; readonly commandId: string; readonly keyId: string }
  | { readonly source: "operator"; readonly operatorId: string; readonly reason: string }
) & {
  readonly openMs: number | undefined;
  readonly decidedAt: Date;
  readonly [authorisedBrand]: true;
};

export class GateDecisionRefused extends Error {
  override readonly name = "GateDecisionRefused";
}

const minted = new WeakSet<object>();

/** Turns a verified command or an operator override into a decision the relay accepts; throws GateDecisionRefused otherwise. */
export function authoriseDecision(
  request: GateDecisionRequest,
  now: Date = new Date(),
): AuthorisedGateDecision {
  const decision =
    request.kind === "centre-command" ? fromCentre(request.command, now) : fromOperator(request);
  const openMs = decision.openMs;
  if (openMs !== undefined && !(Number.isInteger(openMs) && openMs > 0)) {
    throw new GateDecisionRefused(
      `expected a positive whole number of milliseconds, not ${openMs}`,
    );
  }
  const sealed = Object.freeze({ ...decision, decidedAt: now }) as AuthorisedGateDecision;
  minted.add(sealed);
  return sealed;
}

/** True only for decisions minted by authoriseDecision(), whatever the static type says. */
export function isAuthorisedDecision(value: unknown): value is AuthorisedGateDecision {
  return typeof value === "object" && value !== null && minted.has(value);
}

/** Who decided, for log lines and the audit trail. */
export function describeDecision(decision: AuthorisedGateDecision): Record<string, string> {
  return decision.source === "centre"
    ? { source: "centre", commandId: decision.commandId, keyId: decision.keyId }
    : { source: "operator", operatorId: decision.operatorId, reason: decision.reason };
}

function fromCentre(command: VerifiedGateCommand, now: Date) {
  if ((command.action as string) !== "open") {
    throw new GateDecisionRefused(`centre command ${command.commandId}: unknown action`);
  }
  if (now.getTime() > command.expiresAt.getTime()) {
    throw new GateDecisionRefused(
      `centre command ${command.commandId} expired at ${command.expiresAt.toISOString()}`,
    );
  }
  return {
    source: "centre" as const,
    commandId: command.commandId,
    keyId: command.keyId,
    openMs: command.openMs,
  };
}

function fromOperator(request: Extract<GateDecisionRequest, { kind: "operator-override" }>) {
  if (request.operatorId.trim() === "") {
    throw new GateDecisionRefused("an operator override needs the operator's id");
  }
  if (request.reason.trim() === "") {
    throw new GateDecisionRefused("an operator override needs a reason, for the audit trail");
  }
  return {
    source: "operator" as const,
    operatorId: request.operatorId,
    reason: request.reason,
    openMs: request.openMs,
  };
}

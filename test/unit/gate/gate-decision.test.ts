import { describe, expect, it } from "vitest";
import {
  GateDecisionRefused,
  authoriseDecision,
  describeDecision,
  isAuthorisedDecision,
  type AuthorisedGateDecision,
  type VerifiedGateCommand,
} from "../../../agent/gate/gate-decision.js";

const now = new Date("2025-03-01T08:00:00Z");

function centreCommand(overrides: Partial<VerifiedGateCommand> = {}): VerifiedGateCommand {
  return {
    commandId: "cmd-81",
    action: "open",
    issuedAt: new Date("2025-03-01T07:59:58Z"),
    expiresAt: new Date("2025-03-01T08:00:10Z"),
    keyId: "centre-2025",
    ...overrides,
  };
}

describe("authorising a gate decision", () => {
  it("mints a decision from a verified centre command", () => {
    const decision = authoriseDecision(
      { kind: "centre-command", command: centreCommand({ openMs: 4_000 }) },
      now,
    );
    expect(isAuthorisedDecision(decision)).toBe(true);
    expect(decision).toMatchObject({ source: "centre", commandId: "cmd-81", openMs: 4_000 });
    expect(decision.decidedAt).toEqual(now);
    expect(describeDecision(decision)).toEqual({
      source: "centre",
      commandId: "cmd-81",
      keyId: "centre-2025",
    });
    expect(Object.isFrozen(decision)).toBe(true);
  });

  it("refuses a centre command that arrives after it expired (held by a broker while offline)", () => {
    expect(() =>
      authoriseDecision(
        { kind: "centre-command", command: centreCommand() },
        new Date("2025-03-01T09:30:00Z"),
      ),
    ).toThrow(new GateDecisionRefused("centre command cmd-81 expired at 2025-03-01T08:00:10.000Z"));
  });

  it("refuses a command whose action is not 'open'", () => {
    const command = { ...centreCommand(), action: "unlock-all" } as unknown as VerifiedGateCommand;
    expect(() => authoriseDecision({ kind: "centre-command", command }, now)).toThrow(
      GateDecisionRefused,
    );
  });

  it("mints a local operator override only with an operator id and a reason", () => {
    const decision = authoriseDecision(
      { kind: "operator-override", operatorId: "op-17", reason: "wheelchair user" },
      now,
    );
    expect(describeDecision(decision)).toEqual({
      source: "operator",
      operatorId: "op-17",
      reason: "wheelchair user",
    });
    expect(() =>
      authoriseDecision({ kind: "operator-override", operatorId: " ", reason: "x" }, now),
    ).toThrow("an operator override needs the operator's id");
    expect(() =>
      authoriseDecision({ kind: "operator-override", operatorId: "op-17", reason: "" }, now),
    ).toThrow("an operator override needs a reason, for the audit trail");
  });

  it.each([0, -5, 1.5, Number.NaN])("refuses an open time of %s ms", (openMs) => {
    expect(() =>
      authoriseDecision({ kind: "operator-override", operatorId: "op", reason: "r", openMs }, now),
    ).toThrow(GateDecisionRefused);
  });

  it("does not count an object that merely looks like a decision", () => {
    const lookalike = {
      source: "operator",
      operatorId: "capture-loop",
      reason: "capture succeeded",
      openMs: undefined,
      decidedAt: now,
    };
    // @ts-expect-error: only authoriseDecision() mints the brand
    const typed: AuthorisedGateDecision = lookalike;
    expect(isAuthorisedDecision(typed)).toBe(false);
    expect(isAuthorisedDecision(lookalike as unknown as AuthorisedGateDecision)).toBe(false);
    const copy = {
      ...authoriseDecision({ kind: "operator-override", operatorId: "op", reason: "r" }, now),
    };
    expect(isAuthorisedDecision(copy)).toBe(false);
  });
});

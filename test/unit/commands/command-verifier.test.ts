import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CommandRefused, type RefusalCode } from "../../../agent/commands/command-refusal.js";
import { ReplayStore } from "../../../agent/commands/replay-store.js";
import {
  DEVICE_ID,
  LIMITS,
  NOW,
  centre,
  commandBody,
  commandVerifier,
  genuine,
  openReplayStore,
  signedBody,
  stranger,
  successor,
  tempDir,
} from "./command-fixtures.js";

function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error("expected the command to be refused");
}

function expectRefused(message: Uint8Array, code: RefusalCode, now = NOW): CommandRefused {
  const refused = refusal(() => commandVerifier().verify(message, now));
  expect(refused.code).toBe(code);
  return refused;
}

function envelope(fields: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(fields));
}

describe("verifying a centre command", () => {
  it("accepts a genuine command and returns its parsed parameters", () => {
    const { commandId, message } = genuine("open-gate", { params: { openMs: 4_000 } });
    const command = commandVerifier().verify(message, NOW);
    expect(command).toMatchObject({
      kind: "open-gate",
      commandId,
      deviceId: DEVICE_ID,
      keyId: "centre-2026",
      params: { openMs: 4_000 },
    });
    expect(command.expiresAt.getTime() - command.issuedAt.getTime()).toBe(30_000);
  });

  it("accepts a command signed by the second configured key (rotation)", () => {
    const command = commandVerifier().verify(genuine("resync", {}, successor).message, NOW);
    expect(command.keyId).toBe("centre-2027");
  });

  it("fills in parameter defaults", () => {
    const command = commandVerifier().verify(genuine("collect-diagnostics").message, NOW);
    expect(command.params).toEqual({ logLines: 200 });
  });

  it("refuses a bare command with no envelope or signature, naming its id for the reply", () => {
    const refused = expectRefused(envelope(commandBody()), "unsigned");
    expect(refused.commandId).toBe(commandBody()["commandId"]);
  });

  it("refuses an envelope without its signature as unsigned", () => {
    const body = Buffer.from(JSON.stringify(commandBody())).toString("base64");
    const refused = expectRefused(envelope({ v: 1, keyId: centre.keyId, body }), "unsigned");
    expect(refused.commandId).toBe(commandBody()["commandId"]);
  });

  it("refuses a command signed by an unknown key under a trusted key id", () => {
    expectRefused(signedBody(commandBody(), stranger), "bad-signature");
  });

  it("refuses a key id that is not configured", () => {
    const other = JSON.parse(genuine().message.toString()) as Record<string, unknown>;
    expectRefused(envelope({ ...other, keyId: "centre-1999" }), "unknown-key");
  });

  it("refuses a body altered after signing", () => {
    const signed = JSON.parse(genuine("open-gate").message.toString()) as { body: string };
    const altered = Buffer.from(signed.body, "base64").toString().replace(DEVICE_ID, "gate-8");
    expectRefused(
      envelope({ ...signed, body: Buffer.from(altered).toString("base64") }),
      "bad-signature",
    );
  });

  it("refuses a signature made for a desired configuration (domain separation)", () => {
    const body = Buffer.from(JSON.stringify(commandBody()));
    expectRefused(centre.signBody("desired-config", body), "bad-signature");
  });

  it("refuses a command for another terminal", () => {
    expectRefused(genuine("open-gate", { deviceId: "gate-8" }).message, "wrong-device");
  });

  it("refuses an expired command, and one a millisecond past expiry", () => {
    const { message } = genuine("open-gate", { lifetimeMs: 5_000 });
    expectRefused(message, "expired", new Date(NOW.getTime() + 4_001));
    expect(() => commandVerifier().verify(message, new Date(NOW.getTime() + 4_000))).not.toThrow();
  });

  it("refuses a command issued further ahead than the clock-skew allowance", () => {
    const ahead = (ms: number) => genuine("resync", { issuedAt: new Date(NOW.getTime() + ms) });
    expectRefused(ahead(LIMITS.clockSkewMs + 1).message, "not-yet-valid");
    expect(() => commandVerifier().verify(ahead(LIMITS.clockSkewMs).message, NOW)).not.toThrow();
  });

  it("refuses a command valid for longer than the maximum lifetime", () => {
    expectRefused(
      genuine("open-gate", { lifetimeMs: LIMITS.maxLifetimeMs + 1 }).message,
      "lifetime-too-long",
    );
  });

  it("refuses a command that expires before it is issued", () => {
    expectRefused(signedBody(commandBody({ expiresAt: commandBody()["issuedAt"] })), "malformed");
  });

  it("refuses a replayed command, by id and by nonce", () => {
    const store = openReplayStore();
    const { message } = genuine();
    commandVerifier(store).verify(message, NOW);
    expect(refusal(() => commandVerifier(store).verify(message, NOW)).code).toBe("replayed");
    const sameNonce = genuine("open-gate", { nonce: "reused-nonce-reused-nonce" });
    commandVerifier(store).verify(sameNonce.message, NOW);
    const again = genuine("open-gate", { nonce: "reused-nonce-reused-nonce" });
    expect(again.commandId).not.toBe(sameNonce.commandId);
    expect(refusal(() => commandVerifier(store).verify(again.message, NOW)).code).toBe("replayed");
  });

  it("still refuses a replay after the store is closed and reopened (a restart)", () => {
    const path = join(tempDir(), "commands.sqlite");
    const { message } = genuine();
    const first = openReplayStore(path);
    commandVerifier(first).verify(message, NOW);
    first.close();
    const reopened = ReplayStore.open(path, { now: NOW });
    expect(reopened.size()).toBe(1);
    expect(refusal(() => commandVerifier(reopened).verify(message, NOW)).code).toBe("replayed");
    reopened.close();
  });

  it("refuses a command issued before a fresh replay store began", () => {
    const fresh = ReplayStore.open(":memory:", { now: NOW });
    expect(refusal(() => commandVerifier(fresh).verify(genuine().message, NOW)).code).toBe(
      "before-replay-store",
    );
  });

  it("refuses an unknown kind, after the signature is checked", () => {
    expectRefused(signedBody(commandBody({ kind: "self-destruct" })), "unknown-kind");
    expectRefused(signedBody(commandBody({ kind: "self-destruct" }), stranger), "bad-signature");
  });

  it("refuses bad parameters of a known kind", () => {
    expectRefused(signedBody(commandBody({ params: { openMs: "forever" } })), "bad-params");
    expectRefused(signedBody(commandBody({ params: { openMs: 4_000, relay: 2 } })), "bad-params");
    expectRefused(
      signedBody(commandBody({ kind: "rotate-keys", params: { keys: ["everything"] } })),
      "bad-params",
    );
  });

  it("refuses a body that names a different key than the one that signed it", () => {
    expectRefused(signedBody(commandBody({ keyId: successor.keyId })), "key-mismatch");
  });

  it("refuses an unknown command version with its own reason", () => {
    expectRefused(signedBody(commandBody({ v: 2 })), "unsupported-version");
  });

  it("refuses malformed envelopes and bodies", () => {
    expectRefused(Buffer.from("not json"), "malformed");
    expectRefused(Buffer.from("[]"), "malformed");
    expectRefused(envelope({ v: 1, keyId: centre.keyId, body: "", sig: "AA==" }), "malformed");
    expectRefused(signedBody({ ...commandBody(), commandId: "not-a-uuid" }), "malformed");
    expectRefused(signedBody({ ...commandBody(), extra: true }), "malformed");
    expectRefused(centre.signBody("command", Buffer.from("{not json")), "malformed");
  });

  it("refuses a message larger than the limit without reading it", () => {
    expectRefused(Buffer.alloc(LIMITS.maxMessageBytes + 1, 0x7b), "too-large");
  });
});

import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CentreKeyError, CentreKeys } from "../../../agent/commands/centre-keys.js";
import { commandsConfigSchema } from "../../../agent/commands/commands-config.js";
import { ReplayStore } from "../../../agent/commands/replay-store.js";
import { CommandSigner } from "../../../hardware-sim/central/command-signer.js";
import { NOW, centre, successor, tempDir } from "./command-fixtures.js";

describe("centre command keys", () => {
  it("loads public key files by key id", () => {
    const dir = tempDir();
    centre.writePublicKey(join(dir, "current.pem"));
    successor.writePublicKey(join(dir, "next.pem"));
    const keys = CentreKeys.fromFiles({
      [centre.keyId]: join(dir, "current.pem"),
      [successor.keyId]: join(dir, "next.pem"),
    });
    expect(keys.keyIds).toEqual(["centre-2026", "centre-2027"]);
  });

  it("refuses a private key, a non-Ed25519 key, a missing file and a third key", () => {
    const dir = tempDir();
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const { privateKey } = generateKeyPairSync("ed25519");
    const privatePem = write(
      "private.pem",
      privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    );
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
    const rsaPem = write(
      "rsa.pem",
      rsa.publicKey.export({ type: "spki", format: "pem" }).toString(),
    );
    expect(() => CentreKeys.fromFiles({ a: privatePem })).toThrow(/no private key/);
    expect(() => CentreKeys.fromFiles({ a: rsaPem })).toThrow(/rsa key, expected Ed25519/);
    expect(() => CentreKeys.fromFiles({ a: join(dir, "absent.pem") })).toThrow(/ENOENT/);
    const three = ["a", "b", "c"].map((id) => CommandSigner.generate(id));
    const files = Object.fromEntries(
      three.map((s) => [s.keyId, write(`${s.keyId}.pem`, s.publicKeyPem())]),
    );
    expect(() => CentreKeys.fromFiles(files)).toThrow(CentreKeyError);
    expect(commandsConfigSchema.safeParse({ centreKeys: files }).success).toBe(false);
  });

  it("fills in the commands configuration's defaults and refuses unknown keys", () => {
    expect(commandsConfigSchema.parse({})).toEqual({
      centreKeys: {},
      maxLifetimeMs: 300_000,
      clockSkewMs: 30_000,
      replayStore: ".basma/commands.sqlite",
    });
    expect(commandsConfigSchema.safeParse({ maxLifetime: 5 }).success).toBe(false);
  });
});

describe("the replay store", () => {
  it("keeps its creation time across reopening", () => {
    const path = join(tempDir(), "commands.sqlite");
    ReplayStore.open(path, { now: NOW }).close();
    const reopened = ReplayStore.open(path, { now: new Date(NOW.getTime() + 86_400_000) });
    expect(reopened.createdAt).toEqual(NOW);
    reopened.close();
  });

  it("forgets a command once it could no longer be valid", () => {
    const store = ReplayStore.open(":memory:", { now: NOW });
    const entry = {
      commandId: "c1",
      nonce: "n1",
      kind: "resync",
      keepUntil: new Date(NOW.getTime() + 1_000),
    };
    expect(store.remember(entry, NOW)).toBe(true);
    expect(
      store.remember({ ...entry, commandId: "c2", nonce: "n2" }, new Date(NOW.getTime() + 2_000)),
    ).toBe(true);
    expect(store.size()).toBe(1);
    store.close();
  });

  it("moves a damaged file aside and starts afresh from now", () => {
    const path = join(tempDir(), "commands.sqlite");
    writeFileSync(path, Buffer.alloc(8_192, 0x5a));
    const damaged: string[] = [];
    const later = new Date(NOW.getTime() + 60_000);
    const store = ReplayStore.open(path, {
      now: later,
      onDamaged: (movedTo) => damaged.push(movedTo),
    });
    expect(damaged).toHaveLength(1);
    expect(damaged[0]).toMatch(/commands\.sqlite\.damaged-/);
    expect(store.createdAt).toEqual(later);
    store.close();
  });
});

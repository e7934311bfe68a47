import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CentreKeys, centreKeyFromPem } from "../../../agent/commands/centre-keys.js";
import { CommandVerifier, type CommandLimits } from "../../../agent/commands/command-verifier.js";
import { ReplayStore } from "../../../agent/commands/replay-store.js";
import { CommandSigner } from "../../../hardware-sim/central/command-signer.js";

export const DEVICE_ID = "gate-7";
/** The terminal's clock in these tests. */
export const NOW = new Date("2026-03-01T08:00:00.000Z");
export const LIMITS: CommandLimits = {
  maxLifetimeMs: 300_000,
  clockSkewMs: 30_000,
  maxMessageBytes: 16 * 1024,
};

/** The centre's current key and its successor, both trusted by the terminal. */
export const centre = CommandSigner.generate("centre-2026");
export const successor = CommandSigner.generate("centre-2027");
/** A key the terminal has never heard of. */
export const stranger = CommandSigner.generate("centre-2026");

export function trustedKeys(signers: readonly CommandSigner[] = [centre, successor]): CentreKeys {
  return new CentreKeys(signers.map((s) => centreKeyFromPem(s.keyId, s.publicKeyPem())));
}

export function tempDir(prefix = "basma-commands-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A replay store created before the commands in these tests were issued. */
export function openReplayStore(path = join(tempDir(), "commands.sqlite")): ReplayStore {
  return ReplayStore.open(path, { now: new Date(NOW.getTime() - 3_600_000) });
}

/** The terminal's verifier, trusting `keys` and remembering commands in `replayStore`. */
export function commandVerifier(
  replayStore: ReplayStore = openReplayStore(),
  keys: CentreKeys = trustedKeys(),
): CommandVerifier {
  return new CommandVerifier({ deviceId: DEVICE_ID, keys, replayStore, limits: LIMITS });
}

/** A genuine command for this terminal, issued a second before NOW. */
export function genuine(
  kind: Parameters<CommandSigner["signCommand"]>[0]["kind"] = "open-gate",
  overrides: Partial<Parameters<CommandSigner["signCommand"]>[0]> = {},
  signer: CommandSigner = centre,
) {
  return signer.signCommand({
    deviceId: DEVICE_ID,
    kind,
    issuedAt: new Date(NOW.getTime() - 1_000),
    lifetimeMs: 30_000,
    ...overrides,
  });
}

/** Signs a hand-made body, so a test can make any single field wrong. */
export function signedBody(body: Record<string, unknown>, signer: CommandSigner = centre): Buffer {
  return signer.signBody("command", Buffer.from(JSON.stringify(body)));
}

export function commandBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    commandId: "0195a3b0-7f00-7000-8000-000000000001",
    deviceId: DEVICE_ID,
    kind: "open-gate",
    params: {},
    issuedAt: new Date(NOW.getTime() - 1_000).toISOString(),
    expiresAt: new Date(NOW.getTime() + 29_000).toISOString(),
    nonce: "n0nce-n0nce-n0nce-n0nce",
    keyId: centre.keyId,
    ...overrides,
  };
}

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CentreCommands } from "../../../agent/commands/centre-commands.js";
import { CommandRefused } from "../../../agent/commands/command-refusal.js";
import { captureLog } from "../../support/log-capture.js";
import { simulatedTerminalGate } from "../../support/simulated-gate.js";
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
  trustedKeys,
} from "./command-fixtures.js";

const keys = trustedKeys();

const verifier = () => commandVerifier(openReplayStore(":memory:"), keys);

/** Verifies and says how it went; anything other than a CommandRefused fails the property. */
function outcome(message: Uint8Array): "accepted" | CommandRefused {
  try {
    verifier().verify(message, NOW);
    return "accepted";
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
}

const runs = { numRuns: 300 };

describe("command verification properties", () => {
  it("refuses random bytes, with a reason, never an exception of another kind", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2_048 }), (bytes) => {
        expect(outcome(bytes)).toBeInstanceOf(CommandRefused);
      }),
      runs,
    );
  });

  it("refuses any JSON value that is not a signed envelope", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        expect(outcome(Buffer.from(JSON.stringify(value)))).toBeInstanceOf(CommandRefused);
      }),
      runs,
    );
  });

  it("refuses a genuine command with any bit of its signed body or signature flipped", () => {
    const { message } = genuine("open-gate", { params: { openMs: 2_000 } });
    const envelope = JSON.parse(message.toString()) as { body: string; sig: string };
    const body = Buffer.from(envelope.body, "base64");
    const sig = Buffer.from(envelope.sig, "base64");
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        (inSignature, at, bit) => {
          const target = Buffer.from(inSignature ? sig : body);
          const index = at % target.length;
          target[index] = (target[index] ?? 0) ^ (1 << bit);
          const tampered = Buffer.from(
            JSON.stringify({
              ...envelope,
              [inSignature ? "sig" : "body"]: target.toString("base64"),
            }),
          );
          const result = outcome(tampered);
          expect(result).toBeInstanceOf(CommandRefused);
          expect((result as CommandRefused).code).toBe("bad-signature");
        },
      ),
      runs,
    );
  });

  it("accepts a well-signed body only when every field is right", () => {
    const field = fc.constantFrom(
      "v",
      "commandId",
      "deviceId",
      "kind",
      "params",
      "issuedAt",
      "expiresAt",
      "nonce",
      "keyId",
    );
    fc.assert(
      fc.property(field, fc.jsonValue({ maxDepth: 3 }), (name, value) => {
        const body = commandBody({ [name]: value });
        const result = outcome(signedBody(body));
        if (result === "accepted") {
          // Only a replacement that happens to be valid may pass.
          expect(body["deviceId"]).toBe(DEVICE_ID);
          expect(body["keyId"]).toBe(centre.keyId);
          expect(Date.parse(String(body["expiresAt"]))).toBeGreaterThanOrEqual(NOW.getTime());
        } else {
          expect(result.code).not.toBe("bad-signature");
        }
      }),
      runs,
    );
  });

  it("never energises the relay except once for each distinct genuine command", async () => {
    const message = fc.oneof(
      fc.constant("genuine" as const),
      fc.constant("replay" as const),
      fc.constant("forged" as const),
      fc.constant("other-device" as const),
      fc.constant("expired" as const),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 25 }), async (plan) => {
        const log = captureLog("silent");
        const { gate, gpio } = simulatedTerminalGate(log.logger);
        const replayStore = openReplayStore(":memory:");
        const commands = new CentreCommands({
          deviceId: DEVICE_ID,
          keys,
          replayStore,
          limits: LIMITS,
          handlers: {
            openGate: (decision) => {
              const result = gate.relay.open(decision);
              // Closed again at once, so every genuine command is a fresh relay transition.
              gate.relay.closeGate("test");
              return result;
            },
            restart: () => undefined,
            resync: () => Promise.resolve({}),
            rotateKeys: () => Promise.resolve({}),
            diagnostics: () => ({ agentVersion: "test" }),
          },
          publishResult: () => Promise.resolve(),
          logger: log.logger,
          now: () => NOW,
        });
        const sent: Buffer[] = [];
        let genuineCount = 0;
        for (const kind of plan) {
          let bytes: Buffer;
          if (kind === "genuine" || (kind === "replay" && sent.length === 0)) {
            bytes = genuine("open-gate").message;
            genuineCount += 1;
          } else if (kind === "replay") bytes = sent[sent.length - 1] ?? Buffer.alloc(0);
          else if (kind === "forged")
            bytes = stranger.signCommand({
              deviceId: DEVICE_ID,
              kind: "open-gate",
              issuedAt: NOW,
            }).message;
          else if (kind === "other-device")
            bytes = genuine("open-gate", { deviceId: "gate-8" }).message;
          else
            bytes = genuine("open-gate", { issuedAt: new Date(NOW.getTime() - 120_000) }).message;
          if (kind === "genuine") sent.push(bytes);
          await commands.handle(bytes);
        }
        const openings = gpio.transitionsOf("gateRelay").filter((t) => t.value === 1);
        expect(openings).toHaveLength(genuineCount);
        expect(commands.counts().done).toBe(genuineCount);
        gate.close();
        replayStore.close();
      }),
      { numRuns: 40 },
    );
  });
});

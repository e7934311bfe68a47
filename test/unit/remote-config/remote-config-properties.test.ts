import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../../agent/config/load.js";
import { redactSecrets, REDACTED } from "../../../agent/remote-config/redact-secrets.js";
import { RemoteConfig } from "../../../agent/remote-config/remote-config.js";
import { readState } from "../../../agent/remote-config/remote-config-state.js";
import { captureLog } from "../../support/log-capture.js";
import { centre, stranger, tempDir, trustedKeys } from "../commands/command-fixtures.js";

const LOCAL = `${JSON.stringify({ device: { id: "gate-7" } })}\n`;

/** A terminal running its local configuration, with no pushed one pending. */
function settledTerminal() {
  const dir = tempDir("basma-remote-config-");
  const paths = { configPath: join(dir, "agent.json") };
  writeFileSync(paths.configPath, LOCAL);
  const restarts: string[] = [];
  const remote = new RemoteConfig({
    paths,
    deviceId: "gate-7",
    keys: trustedKeys(),
    running: parseAgentConfig(JSON.parse(LOCAL)),
    startup: { state: "settled" },
    healthDeadlineMs: 5_000,
    publishReported: () => Promise.resolve(),
    requestRestart: (reason) => restarts.push(reason),
    logger: captureLog("silent").logger,
  });
  return { paths, restarts, remote };
}

describe("hostile desired configurations", () => {
  it("never throw, never restart the agent and never touch the file unless the centre signed them", async () => {
    const { paths, restarts, remote } = settledTerminal();
    const hostile = fc.oneof(
      fc.uint8Array({ maxLength: 4_096 }).map((bytes) => Buffer.from(bytes)),
      fc.jsonValue({ maxDepth: 5 }).map((value) => Buffer.from(JSON.stringify(value))),
      fc.record({ generation: fc.integer(), config: fc.jsonValue({ maxDepth: 3 }) }).map((body) =>
        stranger.signDesiredConfig({
          deviceId: "gate-7",
          generation: body.generation,
          config: body.config,
        }),
      ),
      fc
        .jsonValue({ maxDepth: 3 })
        .map((body) => centre.signBody("command", Buffer.from(JSON.stringify(body)))),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (message) => {
        await remote.handleDesired(message);
        expect(restarts).toEqual([]);
        expect(readFileSync(paths.configPath, "utf8")).toBe(LOCAL);
        expect(readState(paths).handled).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it("centre-signed configurations of any shape either apply or are refused with a reason", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (config) => {
        const { paths, restarts, remote } = settledTerminal();
        const message = centre.signBody(
          "desired-config",
          Buffer.from(
            JSON.stringify({
              v: 1,
              deviceId: "gate-7",
              generation: 1,
              issuedAt: new Date().toISOString(),
              keyId: centre.keyId,
              config,
            }),
          ),
        );
        await remote.handleDesired(message);
        const state = readState(paths);
        if (restarts.length === 1) {
          expect(state.pending?.generation).toBe(1);
          expect(JSON.parse(readFileSync(paths.configPath, "utf8"))).toEqual(config);
        } else {
          expect(readFileSync(paths.configPath, "utf8")).toBe(LOCAL);
          expect(state.lastOutcome).toMatchObject({ generation: 1, status: "refused" });
          expect(state.lastOutcome?.reason).toMatch(
            /^(malformed|invalid-config|protected-setting): ./,
          );
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe("redacting secrets", () => {
  it("replaces secret-named values and URL passwords at any depth, and keeps the rest", () => {
    expect(
      redactSecrets({
        sensors: [{ id: "s1", password: 0 }],
        mqtt: { url: "mqtts://u:p%40ss@host:8883/x", tls: { key: "/etc/basma/tls.key" } },
        apiToken: "abc",
        note: "password is not a key here",
        image: new Uint8Array(10),
      }),
    ).toEqual({
      sensors: [{ id: "s1", password: REDACTED }],
      mqtt: { url: `mqtts://u:${REDACTED}@host:8883/x`, tls: { key: "/etc/basma/tls.key" } },
      apiToken: REDACTED,
      note: "password is not a key here",
      image: "[binary 10 bytes]",
    });
  });
});

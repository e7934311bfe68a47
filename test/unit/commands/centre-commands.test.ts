import { afterEach, describe, expect, it } from "vitest";
import {
  CentreCommands,
  type CentreCommandsOptions,
  type CommandHandlers,
} from "../../../agent/commands/centre-commands.js";
import {
  decodeCommandResult,
  type CommandResult,
} from "../../../agent/commands/command-results.js";
import { RecentLog } from "../../../agent/commands/recent-log.js";
import { REDACTED } from "../../../agent/remote-config/redact-secrets.js";
import { captureLog } from "../../support/log-capture.js";
import { simulatedTerminalGate } from "../../support/simulated-gate.js";
import {
  DEVICE_ID,
  LIMITS,
  NOW,
  commandBody,
  genuine,
  openReplayStore,
  stranger,
  trustedKeys,
} from "./command-fixtures.js";
import { waitFor } from "../../support/wait.js";

const teardown: (() => void)[] = [];
afterEach(() => {
  for (const step of teardown.splice(0).reverse()) step();
});

function setUp(
  handlers: Partial<CommandHandlers> = {},
  options: Partial<CentreCommandsOptions> = {},
) {
  const log = captureLog();
  const { gate, gpio } = simulatedTerminalGate(log.logger);
  teardown.push(() => gate.close());
  const replayStore = openReplayStore();
  teardown.push(() => replayStore.close());
  const results: CommandResult[] = [];
  const restarts: string[] = [];
  const commands = new CentreCommands({
    deviceId: DEVICE_ID,
    keys: trustedKeys(),
    replayStore,
    limits: LIMITS,
    handlers: {
      openGate: (decision) => gate.relay.open(decision),
      restart: (reason) => restarts.push(`${reason} after ${results.length} results`),
      resync: () => Promise.resolve({ resent: 3 }),
      rotateKeys: () => Promise.reject(new Error("this terminal cannot rotate keys yet")),
      diagnostics: () => ({ agentVersion: "0.1.0" }),
      ...handlers,
    },
    publishResult: (payload) => {
      results.push(decodeCommandResult(payload));
      return Promise.resolve();
    },
    logger: log.logger,
    now: () => NOW,
    ...options,
  });
  const relayOpenings = () =>
    gpio.transitionsOf("gateRelay").filter((transition) => transition.value === 1).length;
  return { commands, results, restarts, log, gate, gpio, relayOpenings };
}

describe("centre commands", () => {
  it("opens the gate for a genuine open-gate command, reporting accepted then done", async () => {
    const { commands, results, relayOpenings, gate } = setUp();
    const { commandId, message } = genuine("open-gate", { params: { openMs: 3_000 } });
    await commands.handle(message);
    expect(relayOpenings()).toBe(1);
    expect(gate.relay.state).toBe("open");
    expect(results.map((r) => [r.commandId, r.status])).toEqual([
      [commandId, "accepted"],
      [commandId, "done"],
    ]);
    expect(results[1]?.result).toMatchObject({ openMs: 3_000 });
  });

  it("never energises the relay for a replay or a forgery, and replies to each", async () => {
    const { commands, results, relayOpenings, log } = setUp();
    const real = genuine("open-gate");
    await commands.handle(real.message);
    await commands.handle(real.message);
    const forged = stranger.signCommand({ deviceId: DEVICE_ID, kind: "open-gate", issuedAt: NOW });
    await commands.handle(forged.message);
    expect(relayOpenings()).toBe(1);
    expect(results.slice(2)).toEqual([
      expect.objectContaining({ commandId: real.commandId, status: "refused", reason: "replayed" }),
      expect.objectContaining({
        commandId: forged.commandId,
        status: "refused",
        reason: "bad-signature",
      }),
    ]);
    const refusals = log.lines().filter((line) => line["event"] === "command-refused");
    expect(refusals.map((line) => line["reason"])).toEqual(["replayed", "bad-signature"]);
    expect(commands.counts()).toMatchObject({ received: 3, refused: 2, done: 1 });
  });

  it("refuses without a reply when there is no command id to address", async () => {
    const { commands, results, log } = setUp();
    await commands.handle(Buffer.from([0xff, 0x00, 0x13]));
    await commands.handle(Buffer.alloc(LIMITS.maxMessageBytes + 1));
    expect(results).toEqual([]);
    const reasons = log.lines().filter((line) => line["event"] === "command-refused");
    expect(reasons.map((line) => line["reason"])).toEqual(["malformed", "too-large"]);
  });

  it("reports a gate held closed (tamper) as failed, and leaves it closed", async () => {
    const { commands, results, relayOpenings, gate } = setUp();
    gate.relay.holdClosed("tamper");
    const { commandId } = genuine();
    await commands.handle(genuine("open-gate", { commandId }).message);
    expect(relayOpenings()).toBe(0);
    expect(results.at(-1)).toMatchObject({ commandId, status: "failed", reason: "gate-refused" });
    expect(results.at(-1)?.detail).toContain("tamper");
  });

  it("restarts only after the done result is out", async () => {
    const { commands, results, restarts } = setUp();
    await commands.handle(genuine("restart-agent", { params: { reason: "new firmware" } }).message);
    expect(results.map((r) => r.status)).toEqual(["accepted", "done"]);
    expect(restarts).toEqual(["new firmware after 2 results"]);
  });

  it("reports a handler's failure and carries on with the next command", async () => {
    const { commands, results } = setUp();
    await commands.handle(genuine("rotate-keys", { params: { keys: ["queue-data-key"] } }).message);
    await commands.handle(genuine("resync").message);
    expect(results.map((r) => [r.kind, r.status, r.detail])).toEqual([
      ["rotate-keys", "accepted", undefined],
      ["rotate-keys", "failed", "this terminal cannot rotate keys yet"],
      ["resync", "accepted", undefined],
      ["resync", "done", undefined],
    ]);
    expect(results[3]?.result).toEqual({ resent: 3 });
  });

  it("gives up on a handler that hangs", async () => {
    const { commands, results } = setUp(
      { resync: () => new Promise(() => undefined) },
      { handlerTimeoutMs: 50 },
    );
    await commands.handle(genuine("resync").message);
    expect(results.at(-1)).toMatchObject({
      status: "failed",
      detail: "resync took more than 50 ms",
    });
  });

  it("handles one command at a time and refuses a flood beyond its queue as busy", async () => {
    const waiting: (() => void)[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const release = async (): Promise<void> => {
      await waitFor("a resync to be running", () => waiting.length > 0);
      waiting.shift()?.();
    };
    const { commands, results, log } = setUp(
      {
        resync: async () => {
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          await new Promise<void>((resolve) => waiting.push(resolve));
          running -= 1;
          return {};
        },
      },
      { maxPending: 2 },
    );
    const first = commands.handle(genuine("resync").message);
    const second = commands.handle(genuine("resync").message);
    await commands.handle(genuine("resync").message);
    expect(log.lines().filter((l) => l["reason"] === "busy")).toHaveLength(1);
    await release();
    await first;
    await release();
    await commands.drain();
    await second;
    expect(mostAtOnce).toBe(1);
    expect(results.filter((r) => r.status === "done")).toHaveLength(2);
    expect(commands.pending).toBe(0);
  });

  it("keeps going when results cannot be published", async () => {
    const { commands, relayOpenings, log } = setUp(
      {},
      { publishResult: () => Promise.reject(new Error("broker gone")) },
    );
    await commands.handle(genuine().message);
    await commands.handle(Buffer.from(JSON.stringify(commandBody())));
    expect(relayOpenings()).toBe(1);
    expect(log.lines().filter((l) => l["event"] === "command-result-not-sent")).toHaveLength(3);
  });

  it("collects diagnostics with secrets redacted, recent log lines and no binary data", async () => {
    const recentLog = new RecentLog({ maxLines: 3 });
    for (const n of [1, 2, 3, 4]) recentLog.write(`{"msg":"line ${n}"}\n`);
    const { commands, results } = setUp(
      {
        diagnostics: () => ({
          agentVersion: "0.1.0",
          config: {
            sensors: [{ id: "s1", password: 1234 }],
            mqtt: { url: "mqtts://terminal:hunter2@centre.example:8883" },
          },
          queue: { records: 2, sample: new Uint8Array(4096) },
        }),
      },
      { recentLog },
    );
    await commands.handle(genuine("collect-diagnostics", { params: { logLines: 2 } }).message);
    const bundle = results.at(-1)?.result;
    expect(results.at(-1)?.status).toBe("done");
    expect(bundle).toMatchObject({
      versions: { agent: "0.1.0", node: process.versions.node },
      config: {
        sensors: [{ id: "s1", password: REDACTED }],
        mqtt: { url: `mqtts://terminal:${REDACTED}@centre.example:8883` },
      },
      queue: { records: 2, sample: "[binary 4096 bytes]" },
      logLines: ['{"msg":"line 3"}', '{"msg":"line 4"}'],
    });
    expect(JSON.stringify(bundle)).not.toContain("hunter2");
  });
});

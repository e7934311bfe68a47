import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../agent/queue/outbox.js";
import { decodeCaptureRecord } from "../../agent/records/record-codec.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { isRunning, runCompiledCli } from "../support/processes.js";
import { waitFor } from "../support/wait.js";

/** The same stack as `npm start`, on free ports and a scratch data folder. */
function startStack(dataDir: string, extra: readonly string[] = []) {
  return runCompiledCli("hardware-sim/cli.js", [
    "stack",
    "--json",
    "--broker-port",
    "0",
    "--sensor-port",
    "0",
    "--data-dir",
    dataDir,
    "--dwell-ms",
    "600",
    ...extra,
  ]);
}

describe("the local stack, end to end", () => {
  it("carries records from the simulated sensor to the centre's store, then out of the device's queue", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "basma-e2e-"));
    const stack = startStack(dataDir, ["--travellers", "2"]);
    const { code } = await stack.exited;
    expect(code, stack.stderr()).toBe(0);

    const events = stack.lines.map((line) => line["event"]);
    for (const event of [
      "record-captured",
      "record-queued",
      "record-delivered",
      "record-acknowledged",
    ]) {
      expect(events.filter((e) => e === event).length, event).toBeGreaterThanOrEqual(2);
    }
    const summary = stack.lines.find((line) => line["event"] === "summary");
    expect(summary).toMatchObject({ recordsAcknowledged: 2, queueRemaining: 0, agentExit: null });

    const central = new CentralStore(join(dataDir, "central.sqlite"));
    const stored = central.list();
    central.close();
    const acknowledgedIds = stack.lines
      .filter((l) => l["event"] === "record-acknowledged")
      .map((l) => l["recordId"]);
    expect(stored.map((r) => r.id).sort()).toEqual([...acknowledgedIds].sort());
    for (const row of stored) {
      const record = decodeCaptureRecord(row.payload);
      expect(record.device.id).toBe("sim-terminal-01");
      expect(record.fingers.map((f) => f.position)).toEqual([2, 7]);
      for (const finger of record.fingers) {
        expect(finger.outcome).toBe("captured");
        expect(finger.image?.pixels.length).toBe(256 * 288);
        expect(finger.quality?.score).toBeGreaterThan(0);
      }
    }

    const queue = Outbox.open(join(dataDir, "agent", "queue.sqlite"));
    const stats = queue.stats();
    queue.close();
    expect(stats.records).toBe(0);
    expect(stats.lastSeq).toBe(2);
  });

  it("stops everything within 2 s of Ctrl-C and leaves no process behind", async () => {
    const stack = startStack(mkdtempSync(join(tmpdir(), "basma-e2e-")));
    const started = await stack.nextLine((l) => l["event"] === "agent-started", 20_000);
    const agentPid = Number(started["pid"]);
    expect(isRunning(agentPid)).toBe(true);
    await stack.nextLine((l) => l["event"] === "record-captured", 20_000);
    const interruptedAt = Date.now();
    stack.child.kill("SIGINT");
    const { at, code } = await stack.exited;
    expect(at - interruptedAt).toBeLessThan(2_000);
    expect(code).toBe(0);
    expect(isRunning(agentPid)).toBe(false);
  });

  it("takes the agent down with it even when the stack itself is killed with SIGKILL", async () => {
    const stack = startStack(mkdtempSync(join(tmpdir(), "basma-e2e-")));
    const started = await stack.nextLine((l) => l["event"] === "agent-started", 20_000);
    const agentPid = Number(started["pid"]);
    expect(isRunning(agentPid)).toBe(true);
    stack.child.kill("SIGKILL");
    await stack.exited;
    await waitFor("the orphaned agent to stop", () => !isRunning(agentPid), 5_000);
  });
});

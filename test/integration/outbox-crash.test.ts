import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../agent/queue/outbox.js";
import { repoRoot } from "../support/processes.js";

/** CI kills the writer a few times; BASMA_SOAK=1 keeps at it for much longer. */
const KILL_ROUNDS = process.env["BASMA_SOAK"] === "1" ? 200 : 4;

// The writer runs the compiled outbox, as the agent does, and reports each seq only after enqueue() returned.
const WRITER = `
import { Outbox } from ${JSON.stringify(`${repoRoot}dist/agent/queue/outbox.js`)};
import { uuidv7 } from "uuidv7";
const outbox = Outbox.open(process.argv[1]);
const pixels = new Uint8Array(256 * 288).fill(0x5a);
for (;;) {
  const now = new Date().toISOString();
  const { seq } = outbox.enqueue({ id: uuidv7(), device: { id: "crash", site: "lab", lane: "1", direction: "entry" }, plan: "p",
    startedAt: now, finishedAt: now, outcome: "complete",
    fingers: [{ position: 2, outcome: "captured", sensorId: "s", attempts: 1, image: { width: 256, height: 288, resolutionPpi: 500, pixels } }] });
  process.stdout.write(seq + "\\n");
}
`;

/** Starts the writer, waits until it has reported `commits` durable enqueues, then SIGKILLs it mid-stream. */
async function killWriterAfter(path: string, commits: number): Promise<number[]> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, path], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const reported: number[] = [];
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  createInterface({ input: child.stdout }).on("line", (line) => {
    reported.push(Number(line));
    if (reported.length === commits) child.kill("SIGKILL");
  });
  expect(await exited).toBe("SIGKILL");
  return reported;
}

describe("outbox under SIGKILL", () => {
  it(`loses no record whose enqueue returned, across ${KILL_ROUNDS} kills`, async () => {
    const path = join(mkdtempSync(join(tmpdir(), "basma-crash-")), "queue.sqlite");
    const confirmed: number[] = [];
    for (let round = 0; round < KILL_ROUNDS; round++) {
      confirmed.push(...(await killWriterAfter(path, 20 + round)));
    }
    const check = new Database(path, { readonly: true });
    expect(check.pragma("quick_check", { simple: true })).toBe("ok");
    check.close();

    const outbox = Outbox.open(path);
    const held = new Set(outbox.oldest(1_000_000).map((r) => r.seq));
    const stats = outbox.stats();
    outbox.close();
    const missing = confirmed.filter((seq) => !held.has(seq));
    expect(missing).toEqual([]);
    // Sequence numbers stay unique and increasing across crashes.
    expect(new Set(confirmed).size).toBe(confirmed.length);
    expect(stats.lastSeq).toBeGreaterThanOrEqual(Math.max(...confirmed));
  });
});

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { Outbox } from "../../agent/queue/outbox.js";
import { repoRoot } from "../support/processes.js";

/** 200 kills in CI; BASMA_SOAK=1 keeps at it ten times longer. */
const KILL_ROUNDS = process.env["BASMA_SOAK"] === "1" ? 2_000 : 200;

// The writer runs the compiled outbox, as the agent does. It reports an enqueue only
// after enqueue() returned, and an acknowledgement both before it starts and after it
// returned (stdout to a pipe is synchronous on Linux, so a line seen was written first).
const WRITER = `
import { Outbox } from ${JSON.stringify(`${repoRoot}dist/agent/queue/outbox.js`)};
import { uuidv7 } from "uuidv7";
// Loading the modules takes longer than a round: warm writers wait for their turn here.
await new Promise((resolve) => process.stdin.once("data", resolve));
const outbox = Outbox.open(process.argv[1]);
const pixels = new Uint8Array(256 * 288);
for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31) & 0xff;
process.stdout.write("ready\\n");
for (let i = 0; ; i++) {
  const now = new Date().toISOString();
  const id = uuidv7();
  const { seq } = outbox.enqueue({ id, device: { id: "crash", site: "lab", lane: "1", direction: "entry" }, plan: "p",
    startedAt: now, finishedAt: now, outcome: "complete",
    fingers: [{ position: 2, outcome: "captured", sensorId: "s", attempts: [], image: { width: 256, height: 288, resolutionPpi: 500, pixels } }] });
  process.stdout.write("E " + seq + " " + id + "\\n");
  if (i % 3 === 0) outbox.lease(2, 50);
  if (i % 2 === 1) {
    const [oldest] = outbox.oldest(1);
    if (oldest) {
      process.stdout.write("A? " + oldest.id + "\\n");
      outbox.acknowledge(oldest.id);
      process.stdout.write("A " + oldest.id + "\\n");
    }
  }
}
`;

interface Journal {
  /** id to seq, for every enqueue that returned. */
  readonly enqueued: Map<string, number>;
  /** Acknowledgements started: the record may be gone. */
  readonly acknowledging: Set<string>;
  /** Acknowledgements that returned: the record must be gone. */
  readonly acknowledged: Set<string>;
}

const spawnWriter = (path: string): ChildProcess =>
  spawn(process.execPath, ["--input-type=module", "-e", WRITER, path], {
    cwd: repoRoot,
    stdio: ["pipe", "pipe", "inherit"],
  });

/** Lets a warm writer start and SIGKILLs it after a random number of reported operations. */
async function killWriterAt(child: ChildProcess, lines: number, journal: Journal): Promise<void> {
  if (child.stdout === null || child.stdin === null) throw new Error("writer without pipes");
  child.stdin.write("go\n");
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  let seen = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    const [kind, first, second] = line.split(" ");
    if (kind === "E") journal.enqueued.set(second ?? "", Number(first));
    else if (kind === "A?") journal.acknowledging.add(first ?? "");
    else if (kind === "A") journal.acknowledged.add(first ?? "");
    if (++seen === lines) child.kill("SIGKILL");
  });
  expect(await exited).toBe("SIGKILL");
}

function checkAfterCrash(path: string, journal: Journal, round: number): void {
  const raw = new Database(path, { readonly: true });
  expect(raw.pragma("integrity_check", { simple: true }), `round ${round}`).toBe("ok");
  raw.close();
  const outbox = Outbox.open(path);
  try {
    const live = outbox.list(1_000_000);
    const liveIds = live.map((row) => row.id);
    expect(new Set(liveIds).size, `round ${round}: an id twice`).toBe(liveIds.length);
    const lost = [...journal.enqueued.keys()].filter(
      (id) => !journal.acknowledging.has(id) && !liveIds.includes(id),
    );
    expect(lost, `round ${round}: records lost`).toEqual([]);
    const resurrected = liveIds.filter((id) => journal.acknowledged.has(id));
    expect(resurrected, `round ${round}: acknowledged records back`).toEqual([]);
    for (const row of live) expect(row.seq).toBe(journal.enqueued.get(row.id) ?? row.seq);
    expect(outbox.verifyChain(), `round ${round}`).toMatchObject({ ok: true, problems: [] });
  } finally {
    outbox.close();
  }
}

describe("outbox under SIGKILL", () => {
  it(
    `loses nothing, duplicates nothing and keeps its chain across ${KILL_ROUNDS} kills`,
    async () => {
      const path = join(mkdtempSync(join(tmpdir(), "basma-crash-")), "queue.sqlite");
      const journal: Journal = {
        enqueued: new Map(),
        acknowledging: new Set(),
        acknowledged: new Set(),
      };
      const warm = [spawnWriter(path), spawnWriter(path), spawnWriter(path)];
      for (let round = 0; round < KILL_ROUNDS; round++) {
        const writer = warm.shift();
        if (writer === undefined) throw new Error("no warm writer");
        warm.push(spawnWriter(path));
        // 1 is "ready" alone: killed just after opening, before its first write.
        await killWriterAt(writer, 1 + Math.floor(Math.random() * 12), journal);
        checkAfterCrash(path, journal, round);
      }
      for (const writer of warm) writer.kill("SIGKILL");
      const seqs = [...journal.enqueued.values()];
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(journal.enqueued.size).toBeGreaterThan(KILL_ROUNDS);
      const outbox = Outbox.open(path);
      expect(outbox.verifyChain({ decrypt: true }).ok).toBe(true);
      outbox.close();
      // About 0.6 s a round on two cores (a writer's start and a full check each time).
    },
    240_000 + KILL_ROUNDS * 1_000,
  );
});

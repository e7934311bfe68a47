import { createHash } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { Outbox } from "../../agent/queue/outbox.js";
import { decodeCaptureRecord } from "../../agent/records/record-codec.js";
import { runCompiledCli } from "../support/processes.js";
import { makeRecord } from "../support/records.js";

async function run(args: readonly string[]) {
  const cli = runCompiledCli("agent/cli.js", args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A queue file with `count` kiosk-sized records and a config pointing at it. */
function queueWith(count: number, { acknowledge = 0 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "basma-queue-cli-"));
  dirs.push(dir);
  const path = join(dir, "queue.sqlite");
  const config = join(dir, "agent.json");
  writeFileSync(config, JSON.stringify({ queue: { path } }));
  const outbox = Outbox.open(path);
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(outbox.enqueue(makeRecord(i + 1, { width: 256, height: 288 })).id);
  for (const id of ids.slice(0, acknowledge)) outbox.acknowledge(id);
  outbox.close();
  return { dir, path, config, ids, live: ids.slice(acknowledge) };
}

function missingCount(ranges: readonly string[]): number {
  return ranges.reduce((n, range) => {
    const [a, b] = range.split("-").map(Number);
    return n + (b === undefined ? 1 : b - (a ?? b) + 1);
  }, 0);
}

describe("basma-agent queue", () => {
  it("keeps the daemon's own options: --help lists the queue commands", async () => {
    const { code, stdout } = await run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/basma-agent queue stats\|list\|export\|recover/);
    const queueHelp = await run(["queue", "--help"]);
    expect(queueHelp.code).toBe(0);
    expect(queueHelp.stdout).toMatch(/Usage: basma-agent queue <command>/);
    const exportHelp = await run(["queue", "export", "--help"]);
    expect(exportHelp.code).toBe(0);
    expect(exportHelp.stdout).toMatch(/--decrypt/);
  });

  it("stats: counts by state, sizes, seq, health and a verified chain, as JSON and text", async () => {
    const { config } = queueWith(5, { acknowledge: 2 });
    const { code, stdout, stderr } = await run(["queue", "stats", "--config", config, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const stats = JSON.parse(stdout) as {
      records: Record<string, number>;
      payloadBytes: { waiting: number };
      lastSeq: number;
      oldestCreatedAt: string;
      newestCreatedAt: string;
      health: { level: string; reasons: string[] };
      chain: { ok: boolean; checked: number; problems: string[]; epoch: string | null };
      quarantined: unknown[];
      oldestEnqueuedAt: string;
    };
    expect(stats.records).toMatchObject({ waiting: 3, pending: 3, inFlight: 0, quarantined: 0 });
    expect(stats.quarantined).toEqual([]);
    expect(stats.chain.epoch).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(stats.oldestEnqueuedAt)).toBeGreaterThanOrEqual(
      Date.parse(stats.oldestCreatedAt),
    );
    expect((stats.records.acknowledged ?? 0) + (stats.records.deleted ?? 0)).toBeLessThanOrEqual(2);
    expect(stats.payloadBytes.waiting).toBeGreaterThan(3 * 256 * 288);
    expect(stats.lastSeq).toBe(5);
    expect(stats.oldestCreatedAt <= stats.newestCreatedAt).toBe(true);
    expect(stats.health.level).toMatch(/ok|warning/);
    expect(stats.chain).toMatchObject({ ok: true, problems: [] });

    const text = await run(["queue", "stats", "--config", config, "--deep"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/3 waiting \(3 pending, 0 in flight\)/);
    expect(text.stdout).toMatch(/last seq\s+5/);
    expect(text.stdout).toMatch(/chain\s+verified/);
    expect(text.stdout).toMatch(/pages\s+ok \(quick_check of every page\)/);
    expect(text.stdout).toMatch(/epoch\s+[0-9a-f]{32}/);
  });

  it("list: metadata only, oldest first, with --limit", async () => {
    const { config, live } = queueWith(4);
    const { code, stdout } = await run([
      "queue",
      "list",
      "--config",
      config,
      "--json",
      "--limit",
      "3",
    ]);
    expect(code).toBe(0);
    const listed = JSON.parse(stdout) as { waiting: number; records: Record<string, unknown>[] };
    expect(listed.waiting).toBe(4);
    expect(listed.records.map((r) => r.id)).toEqual(live.slice(0, 3));
    expect(Object.keys(listed.records[0] ?? {}).sort()).toEqual(
      ["createdAt", "id", "leaseUntil", "payloadBytes", "seq", "state"].sort(),
    );
    const text = await run(["queue", "list", "--config", config, "--limit", "2"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/seq\s+id\s+state/);
    expect(text.stdout).toContain(live[0]);
    expect(text.stdout).toMatch(/2 of 4 waiting/);
  });

  it("export: sealed by default, plaintext CBOR with --decrypt, files created 0600", async () => {
    const { dir, config, live } = queueWith(3);
    const sealedOut = join(dir, "sealed.jsonl");
    const sealed = await run(["queue", "export", "--config", config, "--out", sealedOut, "--json"]);
    expect(sealed.code).toBe(0);
    expect(JSON.parse(sealed.stdout)).toMatchObject({ records: 3, decrypted: false });
    expect(statSync(sealedOut).mode & 0o777).toBe(0o600);
    const [header, ...lines] = readFileSync(sealedOut, "utf8").trim().split("\n");
    expect(JSON.parse(header ?? "")).toMatchObject({
      format: "basma-queue-export",
      version: 1,
      decrypted: false,
      records: 3,
    });
    const records = lines.map((line) => JSON.parse(line) as Record<string, string>);
    expect(records.map((r) => r.id)).toEqual(live);
    expect(Object.keys(records[0] ?? {})).toEqual(
      expect.arrayContaining(["nonce", "ciphertext", "link", "previousLink", "signature"]),
    );
    expect(records[0]).not.toHaveProperty("payload");

    const clearOut = join(dir, "clear.jsonl");
    const clear = await run([
      "queue",
      "export",
      "--config",
      config,
      "--out",
      clearOut,
      "--decrypt",
    ]);
    expect(clear.code).toBe(0);
    expect(clear.stderr).toMatch(/biometric records in clear/);
    expect(statSync(clearOut).mode & 0o777).toBe(0o600);
    const opened = readFileSync(clearOut, "utf8").trim().split("\n").slice(1);
    for (const line of opened) {
      const record = JSON.parse(line) as { id: string; payload: string; payloadDigest: string };
      const payload = Buffer.from(record.payload, "base64");
      expect(createHash("sha256").update(payload).digest("hex")).toBe(record.payloadDigest);
      expect(decodeCaptureRecord(payload).id).toBe(record.id);
    }

    const again = await run(["queue", "export", "--config", config, "--out", clearOut]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it("recover: salvages readable records from a file with garbage pages, once", async () => {
    const { path, config, live } = queueWith(24, { acknowledge: 2 });
    const schema = new Database(path, { readonly: true });
    const stateIndexRoot =
      schema
        .prepare<[], { rootpage: number }>(
          "SELECT rootpage FROM sqlite_master WHERE name = 'records_by_state'",
        )
        .get()?.rootpage ?? 0;
    schema.close();
    expect(stateIndexRoot).toBeGreaterThan(1);
    // Garbage over a stretch in the middle of the file, as a failing card might leave it.
    const size = statSync(path).size;
    const fd = openSync(path, "r+");
    const garbage = Buffer.alloc(48 * 1024);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 131 + 7) & 0xff;
    writeSync(fd, garbage, 0, garbage.length, Math.floor(size / 2 / 4096) * 4096);
    // The start-up check reads indexes, not payload pages (its cost must not grow with
    // the queue): damage to the state index is what it catches here.
    writeSync(fd, garbage, 0, 4096, (stateIndexRoot - 1) * 4096);
    expect(fstatSync(fd).size).toBe(size);
    closeSync(fd);
    // The agent's start-up check moves it aside and starts a fresh queue.
    const fresh = Outbox.open(path);
    const movedTo = fresh.damaged?.movedTo;
    expect(movedTo).toBeDefined();
    const newId = fresh.enqueue(makeRecord(99)).id;
    fresh.close();
    const evidence = readFileSync(movedTo ?? "");

    const { code, stdout, stderr } = await run([
      "queue",
      "recover",
      "--config",
      config,
      "--from",
      movedTo ?? "",
      "--json",
    ]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      salvaged: number;
      unreadable: number;
      missingSeqs: string[];
      alreadyPresent: number;
      lost: { seq: number | null; problem: string }[];
    };
    expect(report.salvaged).toBeGreaterThan(0);
    expect(report.unreadable + missingCount(report.missingSeqs)).toBeGreaterThan(0);
    // Every waiting record is accounted for: salvaged, or reported lost.
    expect(
      report.salvaged + report.unreadable + missingCount(report.missingSeqs),
    ).toBeGreaterThanOrEqual(live.length);
    expect(readFileSync(movedTo ?? "").equals(evidence)).toBe(true);

    const outbox = Outbox.open(path);
    try {
      const ids = outbox.list(1_000).map((r) => r.id);
      expect(ids[0]).toBe(newId);
      expect(ids).toHaveLength(1 + report.salvaged);
      expect(ids.slice(1).every((id) => live.includes(id))).toBe(true);
      // Salvaged payloads open, decode and keep their ids; the chain still verifies.
      for (const record of outbox.oldest(1_000))
        expect(decodeCaptureRecord(record.payload).id).toBe(record.id);
      expect(outbox.verifyChain({ decrypt: true }).ok).toBe(true);
    } finally {
      outbox.close();
    }

    const second = await run([
      "queue",
      "recover",
      "--config",
      config,
      "--from",
      movedTo ?? "",
      "--json",
    ]);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      salvaged: 0,
      alreadyPresent: report.salvaged,
    });
  });

  it("recover: an undamaged copy gives back every waiting record under its own id", async () => {
    const { dir, path, config, live } = queueWith(6, { acknowledge: 1 });
    const copy = join(dir, "queue.sqlite.damaged-test");
    copyFileSync(path, copy);
    unlinkSync(path);
    const { code, stdout } = await run(["queue", "recover", "--config", config, "--from", copy]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/5 salvaged/);
    expect(stdout).toMatch(/nothing was lost/);
    const outbox = Outbox.open(path, { createKeyFile: false });
    try {
      expect(outbox.list(100).map((r) => r.id)).toEqual(live);
    } finally {
      outbox.close();
    }
  });

  it.each([
    [["queue"], /Usage: basma-agent queue <command>/],
    [["queue", "teleport"], /unknown queue command "teleport"/],
    [["queue", "stats", "--frobnicate"], /Unknown option '--frobnicate'/],
    [["queue", "list", "--limit", "zero"], /--limit expects a whole number/],
    [["queue", "export"], /export needs --out FILE/],
    [["queue", "recover"], /recover needs --from DAMAGED_FILE/],
  ])("%j is a usage error: exit 2", async (args, expected) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(expected);
  });

  it("exits 78 on an invalid configuration", async () => {
    const dir = mkdtempSync(join(tmpdir(), "basma-queue-cli-"));
    dirs.push(dir);
    const config = join(dir, "agent.json");
    writeFileSync(config, JSON.stringify({ queue: { pathh: "x" } }));
    const { code, stderr } = await run(["queue", "stats", "--config", config]);
    expect(code).toBe(78);
    expect(stderr).toContain("queue.pathh: unknown key");
  });

  it("exits 1 with a clear message when the device key file is missing, or the queue", async () => {
    const { dir, config } = queueWith(1);
    unlinkSync(join(dir, "device-key"));
    for (const command of ["stats", "list"]) {
      const { code, stderr } = await run(["queue", command, "--config", config]);
      expect(code).toBe(1);
      expect(stderr).toMatch(/device key file .*device-key is missing/);
    }
    expect(existsSync(join(dir, "device-key"))).toBe(false);
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ queue: { path: join(dir, "none.sqlite") } }));
    const none = await run(["queue", "stats", "--config", other]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no queue file at/);
    expect(existsSync(join(dir, "none.sqlite"))).toBe(false);
  });
});

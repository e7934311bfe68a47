import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { EXIT, parseCommandLine, parseIntegerOption, UsageError } from "../cli-support/cli.js";
import { ConfigError, loadAgentConfig } from "../config/load.js";
import type { AgentConfig } from "../config/schema.js";
import { DeviceKeyError, readDeviceKeyFile } from "./device-keys.js";
import { defaultKeyFile, Outbox, type ExportedRecord } from "./outbox.js";
import { salvageQueue, SalvageError, type SalvageReport } from "./queue-salvage.js";

export const QUEUE_HELP = `Usage: basma-agent queue <command> [--config FILE] [options]

Looks into the agent's record queue (queue.path and queue.keyFile of the configuration).
Safe while the agent runs; none of these commands ever moves or deletes the queue file.

Commands:
  stats     counts by state, sizes, oldest and newest record, last seq, storage health,
            and whether the signed hash chain verifies
  list      one line of metadata per record (never a payload)
  export    write the records not yet acknowledged to a file, for hand delivery
  recover   salvage readable records from a damaged queue file into the current queue

Common options:
  -c, --config FILE   agent configuration (JSON); without it, the defaults
      --json          machine-readable output
  -h, --help          help for a command: basma-agent queue <command> --help

Exit status: 0 ok, 1 failure (or, for stats, a chain that does not verify),
2 bad arguments, 78 invalid configuration.
`;

const STATS_HELP = `Usage: basma-agent queue stats [--config FILE] [--json] [--deep]

Counts by state (pending, in flight, quarantined, acknowledged, deleted tombstones),
payload bytes, oldest and newest waiting record, last seq issued, the storage health
level with its reasons, the chain verification result and the chain epoch. Quarantined
records failed authentication when leased: they are kept and never sent.

  --deep        also decrypt every waiting payload and check it against its chain digest,
                and run SQLite's quick_check over every page of the file
  --json        one JSON object
Exit status 1 when the chain does not verify (or, with --deep, a page is damaged).
`;

const LIST_HELP = `Usage: basma-agent queue list [--config FILE] [--json] [--limit N] [--all]

Metadata of the records not yet acknowledged, oldest first: seq, id, state, payload
size, capture time and lease expiry. Never a payload.

  --limit N     at most N records (default 100)
  --all         include acknowledged tombstones kept for the chain
  --json        one JSON object with a "records" array
`;

const EXPORT_HELP = `Usage: basma-agent queue export --out FILE [--decrypt] [--config FILE] [--json]

Writes every record not yet acknowledged to FILE (created with mode 0600; never
overwritten) as JSON lines: first a header line, then one line per record in seq order
with its chain fields (payloadDigest, previousLink, link as hex; Ed25519 signature as
base64), which the centre verifies with the header's signer key.

By default each record stays sealed: its AES-256-GCM nonce and ciphertext (base64),
openable only with this terminal's device key. Nothing biometric leaves in clear, so
the file may be kept as a backup, but the centre cannot read it.

  --decrypt     write each record's plaintext CBOR capture record (base64) instead, as
                the centre receives it over MQTT: for hand delivery when the link is
                gone. The file then holds biometric data in clear; carry it only on
                encrypted media and delete it once the centre confirms receipt.
  --out FILE    the file to create
  --json        a JSON summary on stdout
Exporting does not acknowledge or delete anything.
`;

const RECOVER_HELP = `Usage: basma-agent queue recover --from DAMAGED_FILE [--config FILE] [--json]

Salvages every readable record not yet acknowledged from a queue file the start-up
check moved aside (<queue>.damaged-<time>) into the current queue: under its own id,
as pending, re-sealed and chained after the current queue's newest record (with a new
seq). Records whose id is already in the current queue are not copied again, so
running it twice is harmless. The damaged file is only read, never changed; delete it
yourself once the centre has everything.

Reports how many records were salvaged, already present, acknowledged (nothing to
deliver), and unreadable (with seq, id and why), and which seqs were not found at all.

  --from FILE   the damaged queue file
  --json        the report as one JSON object
Exit status 0 when the salvage ran (losses are in the report), 1 when the file could
not be read at all.
`;

const HELPS: Record<string, string> = {
  stats: STATS_HELP,
  list: LIST_HELP,
  export: EXPORT_HELP,
  recover: RECOVER_HELP,
};

const COMMON = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** What a queue command writes to; the CLI's stdout and stderr. */
export interface CommandOutput {
  out(text: string): void;
  err(text: string): void;
}

class CommandFailure extends Error {
  override readonly name = "CommandFailure";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

const kib = (bytes: number): string =>
  bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

async function loadConfig(path: string | undefined): Promise<AgentConfig> {
  try {
    return await loadAgentConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandFailure(error.message, EXIT.config);
    throw error;
  }
}

function keyFileOf(config: AgentConfig, queuePath: string): string {
  return config.queue.keyFile === undefined
    ? defaultKeyFile(queuePath)
    : resolve(config.queue.keyFile);
}

/** The agent's queue, opened without the start-up check and without creating a key. */
function openQueue(config: AgentConfig, { mustExist }: { mustExist: boolean }): Outbox {
  const path = resolve(config.queue.path);
  if (mustExist && !existsSync(path))
    throw new CommandFailure(`no queue file at ${path} (queue.path); has the agent run here?`);
  try {
    return Outbox.open(path, {
      keyFile: keyFileOf(config, path),
      createKeyFile: false,
      startupCheck: false,
      mustExist,
      limits: {
        maxRecords: config.queue.maxRecords,
        maxBytes: config.queue.maxBytes,
        reserveFreeBytes: config.queue.reserveFreeBytes,
        warnAtFraction: config.queue.warnAtFraction,
      },
    });
  } catch (error) {
    if (error instanceof DeviceKeyError) throw new CommandFailure(error.message);
    const code = (error as { code?: string }).code;
    if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB")
      throw new CommandFailure(
        `queue file ${path} is damaged (${(error as Error).message}); the agent's next start moves it aside as ${basename(path)}.damaged-<time>, then run 'basma-agent queue recover --from <that file>'`,
      );
    throw error;
  }
}

async function stats(args: readonly string[], output: CommandOutput): Promise<number> {
  const { values } = parseCommandLine(args, { ...COMMON, deep: { type: "boolean" } });
  if (values.help === true) return help("stats", output);
  const outbox = openQueue(await loadConfig(values.config), { mustExist: true });
  try {
    const inventory = outbox.inventory();
    const summary = outbox.stats();
    const health = outbox.health();
    const chain = outbox.verifyChain({ decrypt: values.deep === true });
    const pages = values.deep === true ? outbox.checkPages() : undefined;
    const quarantined = outbox.quarantined();
    const { epoch, follows } = outbox.chain();
    const { pending, "in-flight": inFlight, acknowledged, deleted } = inventory.states;
    const report = {
      path: outbox.path,
      records: {
        waiting: pending.records + inFlight.records + inventory.quarantined.records,
        pending: pending.records,
        inFlight: inFlight.records,
        quarantined: inventory.quarantined.records,
        acknowledged: acknowledged.records,
        deleted: deleted.records,
      },
      payloadBytes: {
        waiting: pending.payloadBytes + inFlight.payloadBytes + inventory.quarantined.payloadBytes,
        pending: pending.payloadBytes,
        inFlight: inFlight.payloadBytes,
        quarantined: inventory.quarantined.payloadBytes,
      },
      quarantined,
      oldestCreatedAt: inventory.oldestCreatedAt,
      oldestEnqueuedAt: summary.oldestEnqueuedAt,
      newestCreatedAt: inventory.newestCreatedAt,
      lastSeq: summary.lastSeq,
      health: {
        level: health.level,
        reasons: health.reasons,
        records: health.records,
        bytes: health.bytes,
        freeDiskBytes: health.freeDiskBytes,
        limits: health.limits,
      },
      chain: {
        ok: chain.ok,
        checked: chain.checked,
        problems: chain.problems,
        deep: values.deep === true,
        epoch: epoch?.toString("hex") ?? null,
        follows:
          follows === null
            ? null
            : { epoch: follows.epoch?.toString("hex") ?? null, seq: follows.seq },
      },
      ...(pages === undefined ? {} : { pages }),
    };
    const ok = chain.ok && (pages === undefined || pages === "ok");
    if (values.json === true) output.out(`${JSON.stringify(report, null, 2)}\n`);
    else {
      const lines = [
        `queue     ${report.path}`,
        `records   ${report.records.waiting} waiting (${pending.records} pending, ${inFlight.records} in flight${quarantined.length > 0 ? `, ${report.records.quarantined} QUARANTINED` : ""}); ${acknowledged.records} acknowledged, ${deleted.records} tombstones`,
        ...quarantined
          .slice(0, 20)
          .map((q) => `          - quarantined seq ${q.seq} ${q.id}: ${q.reason} (kept, not sent)`),
        `size      ${kib(report.payloadBytes.waiting)} waiting`,
        `oldest    ${report.oldestCreatedAt ?? "-"}${report.oldestEnqueuedAt === null ? "" : ` (queued ${report.oldestEnqueuedAt})`}`,
        `newest    ${report.newestCreatedAt ?? "-"}`,
        `last seq  ${report.lastSeq}`,
        `storage   ${health.level}: ${health.records} of ${health.limits.maxRecords} records, ${kib(health.bytes)} of ${kib(health.limits.maxBytes)}${health.freeDiskBytes === null ? "" : `, ${kib(health.freeDiskBytes)} free on disk`}`,
        ...health.reasons.map((reason) => `          - ${reason}`),
        `chain     ${chain.ok ? "verified" : "DOES NOT VERIFY"} (${chain.checked} rows${values.deep === true ? ", payloads decrypted and checked" : ""})`,
        ...chain.problems.map((problem) => `          - ${problem}`),
        `epoch     ${report.chain.epoch ?? "none (a chain begun before epochs)"}${report.chain.follows === null ? "" : `, begun after a reset: follows seq ${report.chain.follows.seq}${report.chain.follows.epoch === null ? "" : ` of epoch ${report.chain.follows.epoch}`}`}`,
        ...(pages === undefined
          ? []
          : [
              `pages     ${pages === "ok" ? "ok (quick_check of every page)" : `DAMAGED: ${pages}`}`,
            ]),
      ];
      output.out(`${lines.join("\n")}\n`);
    }
    return ok ? EXIT.ok : EXIT.failure;
  } finally {
    outbox.close();
  }
}

async function list(args: readonly string[], output: CommandOutput): Promise<number> {
  const { values } = parseCommandLine(args, {
    ...COMMON,
    limit: { type: "string", short: "n" },
    all: { type: "boolean" },
  });
  if (values.help === true) return help("list", output);
  const limit = parseIntegerOption("limit", values.limit, { min: 1, max: 10_000_000 }) ?? 100;
  const outbox = openQueue(await loadConfig(values.config), { mustExist: true });
  try {
    const records = outbox.list(limit, { includeDeleted: values.all === true });
    const waiting = outbox.liveCount();
    if (values.json === true) {
      output.out(`${JSON.stringify({ path: outbox.path, waiting, limit, records }, null, 2)}\n`);
      return EXIT.ok;
    }
    if (records.length === 0) {
      output.out(`no records waiting in ${outbox.path}\n`);
      return EXIT.ok;
    }
    const rows = records.map((r) => [
      String(r.seq),
      r.id,
      r.state,
      kib(r.payloadBytes),
      r.createdAt,
      r.leaseUntil ?? "",
    ]);
    const header = ["seq", "id", "state", "size", "captured", "lease until"];
    const widths = header.map((h, i) =>
      Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
    );
    const line = (cells: readonly string[]): string =>
      cells
        .map((cell, i) =>
          i === 0 || i === 3 ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
        )
        .join("  ")
        .trimEnd();
    output.out(`${[line(header), ...rows.map(line)].join("\n")}\n`);
    if (waiting > records.length && values.all !== true)
      output.out(`(${records.length} of ${waiting} waiting; --limit N for more)\n`);
    return EXIT.ok;
  } finally {
    outbox.close();
  }
}

function exportLine(record: ExportedRecord): string {
  return JSON.stringify({
    id: record.id,
    seq: record.seq,
    createdAt: record.createdAt,
    state: record.state,
    payloadDigest: record.payloadDigest.toString("hex"),
    previousLink: record.previousLink.toString("hex"),
    link: record.link.toString("hex"),
    signature: record.signature.toString("base64"),
    ...(record.sealed === undefined
      ? {}
      : {
          nonce: record.sealed.nonce.toString("base64"),
          ciphertext: record.sealed.ciphertext.toString("base64"),
        }),
    ...(record.payload === undefined ? {} : { payload: record.payload.toString("base64") }),
  });
}

async function exportRecords(args: readonly string[], output: CommandOutput): Promise<number> {
  const { values } = parseCommandLine(args, {
    ...COMMON,
    out: { type: "string", short: "o" },
    decrypt: { type: "boolean" },
  });
  if (values.help === true) return help("export", output);
  if (values.out === undefined) throw new UsageError("export needs --out FILE");
  const config = await loadConfig(values.config);
  const out = resolve(values.out);
  const decrypt = values.decrypt === true;
  const outbox = openQueue(config, { mustExist: true });
  let fd: number;
  try {
    fd = openSync(out, "wx", 0o600);
  } catch (error) {
    outbox.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(
      code === "EEXIST"
        ? `${out} already exists; export never overwrites a file`
        : `cannot create ${out} (${code ?? "error"})`,
    );
  }
  let written = 0;
  let bytes = 0;
  try {
    const total = outbox.liveCount();
    if (decrypt)
      output.err(
        "basma-agent: --decrypt: the export holds biometric records in clear; keep it on encrypted media\n",
      );
    const write = (line: string): void => {
      const buffer = Buffer.from(`${line}\n`);
      writeSync(fd, buffer);
      bytes += buffer.length;
    };
    write(
      JSON.stringify({
        format: "basma-queue-export",
        version: 1,
        deviceId: config.device.id,
        exportedAt: new Date().toISOString(),
        encoding: decrypt ? "cbor-base64" : "aes-256-gcm-base64",
        decrypted: decrypt,
        signer: outbox.signer.toString("base64"),
        epoch: outbox.chain().epoch?.toString("hex") ?? null,
        records: total,
      }),
    );
    let lastProgress = Date.now();
    for (const record of outbox.exportRecords({ decrypt })) {
      write(exportLine(record));
      written++;
      if (Date.now() - lastProgress >= 1_000) {
        lastProgress = Date.now();
        output.err(`exporting: ${written} of ${total} records, ${kib(bytes)}\n`);
      }
    }
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(out);
    outbox.close();
    throw new CommandFailure(
      `export failed after ${written} records, ${out} removed: ${(error as Error).message}`,
    );
  }
  closeSync(fd);
  outbox.close();
  const summary = { out, records: written, bytes, decrypted: decrypt };
  output.out(
    values.json === true
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `exported ${written} records (${kib(bytes)}, ${decrypt ? "decrypted: biometric data in clear" : "sealed"}) to ${out}\n`,
  );
  return EXIT.ok;
}

function damagedCandidates(queuePath: string): string[] {
  try {
    const base = basename(queuePath);
    return readdirSync(dirname(queuePath))
      .filter((name) => name.startsWith(`${base}.damaged-`) && !/-(wal|shm)$/.test(name))
      .map((name) => resolve(dirname(queuePath), name));
  } catch {
    return [];
  }
}

function describeSalvage(report: SalvageReport): string {
  const lines = [
    `recovered from ${report.source}`,
    `  ${report.salvaged} salvaged into the current queue`,
    `  ${report.alreadyPresent} already in the current queue (not copied again)`,
    `  ${report.acknowledged} acknowledged by the centre before the damage (nothing to deliver)`,
    `  ${report.unreadable} unreadable`,
    ...report.lost.map(
      (lost) => `    - seq ${lost.seq ?? "?"} ${lost.id ?? "(id unreadable)"}: ${lost.problem}`,
    ),
  ];
  if (report.missingSeqs.length > 0)
    lines.push(
      `  seqs not found at all (lost with the damaged pages): ${report.missingSeqs.join(", ")}`,
    );
  for (const note of report.notes) lines.push(`  note: ${note}`);
  lines.push(
    report.unreadable === 0 && report.missingSeqs.length === 0
      ? "nothing was lost. The damaged file is kept; delete it once the centre has every record."
      : "some records were lost; the damaged file is kept for forensic recovery.",
  );
  return `${lines.join("\n")}\n`;
}

async function recover(args: readonly string[], output: CommandOutput): Promise<number> {
  const { values } = parseCommandLine(args, { ...COMMON, from: { type: "string" } });
  if (values.help === true) return help("recover", output);
  const config = await loadConfig(values.config);
  const queuePath = resolve(config.queue.path);
  if (values.from === undefined) {
    const candidates = damagedCandidates(queuePath);
    throw new UsageError(
      `recover needs --from DAMAGED_FILE${candidates.length > 0 ? `; damaged files beside the queue:\n${candidates.map((c) => `  ${c}`).join("\n")}` : ""}`,
    );
  }
  const from = resolve(values.from);
  if (from === queuePath)
    throw new UsageError("--from must be the damaged file, not the current queue");
  if (!existsSync(from)) throw new CommandFailure(`${from} does not exist`);
  let device;
  try {
    device = readDeviceKeyFile(keyFileOf(config, queuePath));
  } catch (error) {
    if (error instanceof DeviceKeyError) throw new CommandFailure(error.message);
    throw error;
  }
  const outbox = openQueue(config, { mustExist: false });
  let lastProgress = Date.now();
  try {
    const report = salvageQueue(from, outbox, device, (done, total) => {
      if (Date.now() - lastProgress < 1_000) return;
      lastProgress = Date.now();
      output.err(`recovering: ${done} of ${total} rows\n`);
    });
    output.out(
      values.json === true
        ? `${JSON.stringify({ ...report, into: outbox.path }, null, 2)}\n`
        : describeSalvage(report),
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof SalvageError) throw new CommandFailure(error.message);
    throw error;
  } finally {
    outbox.close();
  }
}

function help(command: string, output: CommandOutput): number {
  output.out(HELPS[command] ?? QUEUE_HELP);
  return EXIT.ok;
}

const COMMANDS: Record<
  string,
  (args: readonly string[], output: CommandOutput) => Promise<number>
> = {
  stats,
  list,
  export: exportRecords,
  recover,
};

/**
 * `basma-agent queue <command> ...`: returns the exit code. Usage errors are thrown
 * (UsageError) for runCli to report; other failures are printed here.
 */
export async function runQueueCommand(
  args: readonly string[],
  output: CommandOutput,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) {
    output.err(QUEUE_HELP);
    return EXIT.usage;
  }
  if (command === "--help" || command === "-h" || command === "help") {
    output.out(QUEUE_HELP);
    return EXIT.ok;
  }
  const run = COMMANDS[command];
  if (run === undefined)
    throw new UsageError(`unknown queue command "${command}" (stats, list, export, recover)`);
  try {
    return await run(rest, output);
  } catch (error) {
    if (!(error instanceof CommandFailure)) throw error;
    output.err(`basma-agent queue ${command}: ${error.message}\n`);
    return error.exitCode;
  }
}

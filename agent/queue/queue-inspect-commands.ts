import { EXIT, parseCommandLine, parseIntegerOption } from "../cli-support/cli.js";
import { type CommandIo } from "../cli-support/command-io.js";
import { COMMON, kib, loadConfig, openQueue, showHelp } from "./queue-command-support.js";

export const STATS_HELP = `Usage: basma-agent queue stats [--config FILE] [--json] [--deep]

Counts by state (pending, in flight, quarantined, acknowledged, deleted tombstones),
payload bytes, oldest and newest waiting record, last seq issued, the storage health
level with its reasons, the chain verification result and the chain epoch. Quarantined
records failed authentication when leased: they are kept and never sent.

  --deep        also decrypt every waiting payload and check it against its chain digest,
                and run SQLite's quick_check over every page of the file
  --json        one JSON object
Exit status 1 when the chain does not verify (or, with --deep, a page is damaged).
`;

export const LIST_HELP = `Usage: basma-agent queue list [--config FILE] [--json] [--limit N] [--all]

Metadata of the records not yet acknowledged, oldest first: seq, id, state, payload
size, capture time and lease expiry. Never a payload.

  --limit N     at most N records (default 100)
  --all         include acknowledged tombstones kept for the chain
  --json        one JSON object with a "records" array
`;

export async function stats(args: readonly string[], output: CommandIo): Promise<number> {
  const { values } = parseCommandLine(args, { ...COMMON, deep: { type: "boolean" } });
  if (values.help === true) return showHelp(STATS_HELP, output);
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

export async function list(args: readonly string[], output: CommandIo): Promise<number> {
  const { values } = parseCommandLine(args, {
    ...COMMON,
    limit: { type: "string", short: "n" },
    all: { type: "boolean" },
  });
  if (values.help === true) return showHelp(LIST_HELP, output);
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

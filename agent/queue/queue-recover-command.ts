import { existsSync, readdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { EXIT, parseCommandLine, UsageError } from "../cli-support/cli.js";
import { DeviceKeyError, readDeviceKeyFile } from "./device-keys.js";
import { salvageQueue, SalvageError, type SalvageReport } from "./queue-salvage.js";
import { CommandFailure, type CommandIo } from "../cli-support/command-io.js";
import { COMMON, loadConfig, keyFileOf, openQueue, showHelp } from "./queue-command-support.js";

export const RECOVER_HELP = `Usage: basma-agent queue recover --from DAMAGED_FILE [--config FILE] [--json]

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

export async function recover(args: readonly string[], output: CommandIo): Promise<number> {
  const { values } = parseCommandLine(args, { ...COMMON, from: { type: "string" } });
  if (values.help === true) return showHelp(RECOVER_HELP, output);
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

import { closeSync, fsyncSync, openSync, unlinkSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import { EXIT, parseCommandLine, UsageError } from "../cli-support/cli.js";
import type { ExportedRecord } from "./outbox.js";
import { CommandFailure, type CommandIo } from "../cli-support/command-io.js";
import { COMMON, kib, loadConfig, openQueue, showHelp } from "./queue-command-support.js";

export const EXPORT_HELP = `Usage: basma-agent queue export --out FILE [--decrypt] [--config FILE] [--json]

Writes every record not yet acknowledged to FILE (created with mode 0600; never
overwritten) as JSON lines: first a header line, then one line per record in seq order
with its chain fields (payloadDigest, previousLink, link as hex; Ed25519 signature as
base64), which the centre verifies with the header's signer key.

By default each record stays sealed: its AES-256-GCM nonce and ciphertext and its
own key wrapped by the queue's data key (base64), openable only with this terminal's
device key. Nothing biometric leaves in clear, so
the file may be kept as a backup, but the centre cannot read it.

  --decrypt     write each record's plaintext CBOR capture record (base64) instead, as
                the centre receives it over MQTT: for hand delivery when the link is
                gone. The file then holds biometric data in clear; carry it only on
                encrypted media and delete it once the centre confirms receipt.
  --out FILE    the file to create
  --json        a JSON summary on stdout
Exporting does not acknowledge or delete anything.
`;

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
          ...(record.sealed.wrappedKey === null
            ? {}
            : { wrappedKey: record.sealed.wrappedKey.toString("base64") }),
        }),
    ...(record.payload === undefined ? {} : { payload: record.payload.toString("base64") }),
  });
}

export async function exportRecords(args: readonly string[], output: CommandIo): Promise<number> {
  const { values } = parseCommandLine(args, {
    ...COMMON,
    out: { type: "string", short: "o" },
    decrypt: { type: "boolean" },
  });
  if (values.help === true) return showHelp(EXPORT_HELP, output);
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

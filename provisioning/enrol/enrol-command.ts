import { EXIT, parseIntegerOption } from "../../agent/cli-support/cli.js";
import type { CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { serviceOwner } from "../file-owner.js";
import { parseKeyAlgorithm } from "../identity/identity-command.js";
import { PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import { enrolDevice } from "./enrol-device.js";

export const ENROL_HELP = `Usage: basma-provision enrol [--bootstrap FILE] [options]

Enrols this terminal with the centre using the one-time claim (bootstrap credential)
the centre issued: makes the device key here if there is none (it never leaves the
terminal), sends a certificate signing request with the claim token, checks what comes
back (signed by the centre's CA, the pinned CA, this device's id and key), stores the
certificate, the CA and the command-signing key, points mqtt.url and mqtt.tls of the
configuration at the device's own identity, and deletes the claim.

  --bootstrap FILE      the claim file (default <pki-dir>/bootstrap.json)
  --algorithm A         key to make when there is none: ecdsa-p256 (default) or ed25519
  --timeout S           seconds to wait for the centre (default 60)
  --user NAME           service user to own the files (default basma, when run as root)
  --json                the result as JSON
${PATH_OPTIONS_HELP}
Exit status: 0 enrolled, 1 failure (refused, unreachable, bad answer), 2 bad arguments,
78 missing or invalid configuration or claim file.
`;

export async function runEnrolCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      bootstrap: { type: "string" },
      algorithm: { type: "string" },
      timeout: { type: "string" },
      user: { type: "string" },
    },
    { help: ENROL_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const timeoutSeconds = parseIntegerOption("timeout", values.timeout, { min: 1, max: 3_600 });
  const result = await enrolDevice({
    paths: resolvePaths(values),
    bootstrapFile: values.bootstrap,
    algorithm: parseKeyAlgorithm(values.algorithm),
    owner: serviceOwner(values.user, io.err),
    timeoutMs: (timeoutSeconds ?? 60) * 1000,
  });
  if (values.json === true) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else
    io.out(
      `enrolled ${result.deviceId}: certificate ${result.certificate.serialNumber} valid to ${result.certificate.validTo}\n` +
        `broker ${result.brokerUrl}; bootstrap claim deleted\nnext: basma-provision selftest\n`,
    );
  return EXIT.ok;
}

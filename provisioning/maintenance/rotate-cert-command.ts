import { EXIT, parseIntegerOption } from "../../agent/cli-support/cli.js";
import type { CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { readConfigFile } from "../config-file.js";
import { serviceOwner } from "../file-owner.js";
import { parseKeyAlgorithm } from "../identity/identity-command.js";
import { PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import { rotateCertificate } from "./rotate-cert.js";

export const ROTATE_CERT_HELP = `Usage: basma-provision rotate-cert [options]

Replaces the device key and certificate: makes a new key here, and asks the centre for
a certificate over the current TLS identity (mqtt.url, mqtt.tls), proving possession of
the current key. The new certificate must come from the CA already trusted. Restart
the agent afterwards ('systemctl restart basma-agent').

  --algorithm A         ecdsa-p256 (default) or ed25519
  --timeout S           seconds to wait for the centre (default 60)
  --user NAME           service user to own the files (default basma, when run as root)
  --json                the result as JSON
${PATH_OPTIONS_HELP}
Exit status: 0 rotated, 1 failure (the old key and certificate stay), 2 bad arguments,
78 invalid configuration.
`;

export async function runRotateCertCommand(
  args: readonly string[],
  io: CommandIo,
): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      algorithm: { type: "string" },
      timeout: { type: "string" },
      user: { type: "string" },
    },
    { help: ROTATE_CERT_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const timeoutSeconds = parseIntegerOption("timeout", values.timeout, { min: 1, max: 3_600 });
  const { config } = await readConfigFile(resolvePaths(values).config);
  const result = await rotateCertificate({
    config,
    algorithm: parseKeyAlgorithm(values.algorithm),
    owner: serviceOwner(values.user, io.err),
    timeoutMs: (timeoutSeconds ?? 60) * 1000,
  });
  if (values.json === true) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else
    io.out(
      `new certificate ${result.certificate.serialNumber} for ${result.deviceId}, valid to ${result.certificate.validTo}\nrestart the agent to use it\n`,
    );
  return EXIT.ok;
}

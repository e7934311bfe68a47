import { EXIT, UsageError } from "../../agent/cli-support/cli.js";
import type { CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { readConfigFile } from "../config-file.js";
import { serviceOwner } from "../file-owner.js";
import { identityFiles, PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "./device-key.js";
import { prepareIdentity } from "./identity-store.js";

export const IDENTITY_HELP = `Usage: basma-provision identity [options]

Makes the device key pair on this terminal (unless one exists; --new replaces it) and a
certificate signing request for it naming device.id. The private key is written 0600,
owned by the service user, and never leaves the terminal; the request (device.csr) is
public and is what 'enrol' sends to the centre.

  --algorithm A         ecdsa-p256 (default) or ed25519
  --new                 replace an existing key (the current certificate stops matching)
  --user NAME           service user to own the files (default basma, when run as root)
  --json                the result as JSON
${PATH_OPTIONS_HELP}`;

export function parseKeyAlgorithm(value: string | undefined): KeyAlgorithm {
  if (value === undefined) return "ecdsa-p256";
  if (!(KEY_ALGORITHMS as readonly string[]).includes(value))
    throw new UsageError(`--algorithm expects ${KEY_ALGORITHMS.join(" or ")}, got "${value}"`);
  return value as KeyAlgorithm;
}

export async function runIdentityCommand(args: readonly string[], io: CommandIo): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      algorithm: { type: "string" },
      new: { type: "boolean" },
      user: { type: "string" },
    },
    { help: IDENTITY_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const paths = resolvePaths(values);
  const { config } = await readConfigFile(paths.config);
  const files = identityFiles(paths);
  const identity = await prepareIdentity({
    files,
    deviceId: config.device.id,
    algorithm: parseKeyAlgorithm(values.algorithm),
    owner: serviceOwner(values.user, io.err),
    replace: values.new === true,
  });
  const result = {
    deviceId: config.device.id,
    key: files.key,
    csr: files.csr,
    newKey: identity.newKey,
  };
  if (values.json === true) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else
    io.out(
      `${identity.newKey ? "made a new" : "kept the existing"} device key ${files.key}\nwrote the certificate signing request ${files.csr} for ${config.device.id}\n`,
    );
  return EXIT.ok;
}

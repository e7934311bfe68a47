import { join, resolve } from "node:path";

/**
 * Where a terminal keeps its configuration, identity and data. Every path can be set on
 * its own, and `--root` moves them all under one folder (tests, image building).
 */
export interface ProvisionPaths {
  /** The agent configuration (JSON). */
  readonly config: string;
  /** The device's key, certificates and bootstrap credential. */
  readonly pkiDir: string;
  /** The agent's data: queue, device key of the queue. */
  readonly stateDir: string;
}

export interface IdentityFiles {
  /** The device's private key: PKCS#8 PEM, 0600, owned by the service user; never leaves the device. */
  readonly key: string;
  readonly csr: string;
  /** The device certificate the centre issued. */
  readonly cert: string;
  /** The centre's CA certificate (trust anchor for the broker). */
  readonly ca: string;
  /** The centre's Ed25519 public key that signs commands. */
  readonly commandKey: string;
  /** The one-time claim the centre issued for enrolment; deleted once enrolled. */
  readonly bootstrap: string;
}

export const PATH_OPTIONS = {
  root: { type: "string" },
  config: { type: "string", short: "c" },
  "pki-dir": { type: "string" },
  "state-dir": { type: "string" },
} as const;

export const PATH_OPTIONS_HELP = `Paths (a field terminal uses the defaults):
      --root DIR        prefix every default path with DIR (default /)
  -c, --config FILE     agent configuration (default <root>/etc/basma/agent.json)
      --pki-dir DIR     key, certificates, bootstrap claim (default <root>/etc/basma/pki)
      --state-dir DIR   queue and data (default <root>/var/lib/basma)
`;

export function resolvePaths(values: {
  root?: string | undefined;
  config?: string | undefined;
  "pki-dir"?: string | undefined;
  "state-dir"?: string | undefined;
}): ProvisionPaths {
  const root = resolve(values.root ?? "/");
  return {
    config: resolve(values.config ?? join(root, "etc/basma/agent.json")),
    pkiDir: resolve(values["pki-dir"] ?? join(root, "etc/basma/pki")),
    stateDir: resolve(values["state-dir"] ?? join(root, "var/lib/basma")),
  };
}

export function identityFiles(paths: ProvisionPaths): IdentityFiles {
  const at = (name: string): string => join(paths.pkiDir, name);
  return {
    key: at("device.key"),
    csr: at("device.csr"),
    cert: at("device.pem"),
    ca: at("ca.pem"),
    commandKey: at("command-key.pem"),
    bootstrap: at("bootstrap.json"),
  };
}

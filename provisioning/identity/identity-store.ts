import { readFile, rm } from "node:fs/promises";
import { writeFileAtomic } from "../atomic-file.js";
import type { FileOwner } from "../file-owner.js";
import type { IdentityFiles } from "../paths.js";
import { buildCsr, generateDeviceKey, type KeyAlgorithm } from "./device-key.js";

/** Reads a file, or undefined when it does not exist. */
export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Writes a new private key: 0600, owned by the service user, in a 0700 folder. */
export async function writePrivateKey(
  path: string,
  keyPem: string,
  owner: FileOwner | undefined,
): Promise<void> {
  await writeFileAtomic(path, keyPem, { mode: 0o600, owner, dirMode: 0o750 });
}

/** Public material (certificates, CSR, public keys): 0644. */
export async function writePublicFile(
  path: string,
  pem: string,
  owner: FileOwner | undefined,
): Promise<void> {
  await writeFileAtomic(path, pem, { mode: 0o644, owner, dirMode: 0o750 });
}

export interface DeviceIdentity {
  readonly keyPem: string;
  readonly csrPem: string;
  /** False when an existing key was reused. */
  readonly newKey: boolean;
}

/**
 * The device key (made here when there is none, or always with `replace`) and a CSR for
 * it naming `deviceId`, both written to the identity files.
 */
export async function prepareIdentity(options: {
  files: IdentityFiles;
  deviceId: string;
  algorithm: KeyAlgorithm;
  owner: FileOwner | undefined;
  replace?: boolean;
}): Promise<DeviceIdentity> {
  const existing = options.replace === true ? undefined : await readIfPresent(options.files.key);
  const keyPem = existing ?? generateDeviceKey(options.algorithm);
  if (existing === undefined) await writePrivateKey(options.files.key, keyPem, options.owner);
  const csrPem = await buildCsr(keyPem, options.deviceId);
  await writePublicFile(options.files.csr, csrPem, options.owner);
  return { keyPem, csrPem, newKey: existing === undefined };
}

/** Removes a file if it exists. */
export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

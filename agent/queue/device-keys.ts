import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from "node:crypto";
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

/**
 * The device's own secrets, kept in one file outside the queue database so that a
 * copied database alone opens nothing: a key-wrapping key for the queue's data key
 * and the Ed25519 key that signs every record.
 */
export interface DeviceKeys {
  readonly wrappingKey: Buffer;
  readonly signingKey: KeyObject;
  readonly verifyingKey: KeyObject;
}

export class DeviceKeyError extends Error {
  override readonly name = "DeviceKeyError";
}

const keyFileSchema = z.strictObject({
  v: z.literal(1),
  wrappingKey: z.base64().refine((value) => Buffer.from(value, "base64").length === 32),
  signingKey: z.base64(),
});

/** Any group or world permission bit: the key must be readable by the service user alone. */
const SHARED_PERMISSIONS = 0o077;

export function generateDeviceKeys(): DeviceKeys {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return { wrappingKey: randomBytes(32), signingKey: privateKey, verifyingKey: publicKey };
}

function serialise(keys: DeviceKeys): string {
  return `${JSON.stringify({
    v: 1,
    wrappingKey: keys.wrappingKey.toString("base64"),
    signingKey: keys.signingKey.export({ type: "pkcs8", format: "der" }).toString("base64"),
  })}\n`;
}

/**
 * Writes a new key file with mode 0600; refuses to overwrite one that exists. The key
 * is written and fsynced under a temporary name and linked into place only whole, so
 * a full or read-only disk leaves no empty key file behind to block the next start.
 */
export function createDeviceKeyFile(path: string): DeviceKeys {
  const keys = generateDeviceKeys();
  const partial = `${path}.partial-${process.pid}`;
  let fd: number | undefined;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    fd = openSync(partial, "wx", 0o600);
    writeSync(fd, serialise(keys));
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    linkSync(partial, path);
    syncDirectory(dirname(path));
  } catch (error) {
    throw new DeviceKeyError(`cannot create device key file ${path}: ${describeWriteError(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(partial, { force: true });
  }
  return keys;
}

function describeWriteError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case "EEXIST":
      return "it already exists";
    case "ENOSPC":
    case "EDQUOT":
      return `the disk is full (${code})`;
    case "EROFS":
      return "the file system is read-only (EROFS)";
    case undefined:
      return error instanceof Error ? error.message : String(error);
    default:
      return code;
  }
}

/** Makes the new directory entry durable, where the file system allows it. */
function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, "r");
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on a directory; the key file itself is synced.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads the key file, refusing one that others could read; errors name the file, never its content. */
export function readDeviceKeyFile(path: string): DeviceKeys {
  let text: string;
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DeviceKeyError(
      code === "ENOENT"
        ? `device key file ${path} does not exist`
        : `device key file ${path} cannot be read (${code ?? "error"})`,
    );
  }
  try {
    const mode = fstatSync(fd).mode & 0o777;
    if ((mode & SHARED_PERMISSIONS) !== 0) {
      throw new DeviceKeyError(
        `device key file ${path} is readable by others (mode ${mode.toString(8).padStart(4, "0")}); run 'chmod 600 ${path}'`,
      );
    }
    text = readFileSync(fd, "utf8");
  } finally {
    closeSync(fd);
  }
  let parsed;
  try {
    parsed = keyFileSchema.parse(JSON.parse(text));
  } catch {
    throw new DeviceKeyError(`device key file ${path} is not a Basma device key file`);
  }
  try {
    const signingKey = createPrivateKey({
      key: Buffer.from(parsed.signingKey, "base64"),
      format: "der",
      type: "pkcs8",
    });
    if (signingKey.asymmetricKeyType !== "ed25519") throw new Error("not ed25519");
    return {
      wrappingKey: Buffer.from(parsed.wrappingKey, "base64"),
      signingKey,
      verifyingKey: createPublicKey(signingKey),
    };
  } catch {
    throw new DeviceKeyError(`device key file ${path} holds no usable Ed25519 signing key`);
  }
}

/**
 * Reads the device keys, or creates them when allowed and the queue has never been
 * keyed: a missing key for a keyed queue is an error, since a new key could open nothing.
 */
export function loadDeviceKeys(
  path: string,
  { create, queueIsKeyed }: { create: boolean; queueIsKeyed: boolean },
): { keys: DeviceKeys; created: boolean } {
  if (!existsSync(path)) {
    if (queueIsKeyed) {
      throw new DeviceKeyError(
        `device key file ${path} is missing but the queue already holds data sealed by a device key; restore the key file (the queue cannot be read without it)`,
      );
    }
    if (!create) {
      throw new DeviceKeyError(
        `device key file ${path} does not exist; provision it, or set queue.createKeyFile to create one`,
      );
    }
    return { keys: createDeviceKeyFile(path), created: true };
  }
  return { keys: readDeviceKeyFile(path), created: false };
}

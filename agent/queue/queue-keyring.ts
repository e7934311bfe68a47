import { createPublicKey } from "node:crypto";
import type Database from "better-sqlite3";
import { DeviceKeyError, loadDeviceKeys, type DeviceKeys } from "./device-keys.js";
import { newDataKey, unwrapDataKey, wrapDataKey } from "./payload-cipher.js";

export interface QueueKeyring {
  readonly dataKey: Buffer;
  readonly device: DeviceKeys;
  /** True when this start created the device key file. */
  readonly createdKeyFile: boolean;
}

interface KeyRow {
  wrapped_data_key: Buffer;
  verifying_key: Buffer;
}

const readKeyRow = (db: Database.Database): KeyRow | undefined =>
  db
    .prepare<[], KeyRow>("SELECT wrapped_data_key, verifying_key FROM queue_keys WHERE id = 1")
    .get();

/**
 * Unwraps the data key of a queue, or gives a queue its first one. A database that
 * has records from before encryption, or a wrapped key, counts as keyed for the
 * purpose of never inventing a replacement device key.
 */
export function openKeyring(
  db: Database.Database,
  keyFile: string,
  { create }: { create: boolean },
): QueueKeyring {
  const row = readKeyRow(db);
  const { keys, created } = loadDeviceKeys(keyFile, {
    create,
    queueIsKeyed: row !== undefined,
  });
  if (row === undefined) {
    const dataKey = newDataKey();
    db.prepare(
      "INSERT INTO queue_keys (id, wrapped_data_key, verifying_key, created_at) VALUES (1, ?, ?, ?)",
    ).run(
      wrapDataKey(keys.wrappingKey, dataKey),
      keys.verifyingKey.export({ type: "spki", format: "der" }),
      new Date().toISOString(),
    );
    return { dataKey, device: keys, createdKeyFile: created };
  }
  let dataKey: Buffer;
  try {
    dataKey = unwrapDataKey(keys.wrappingKey, row.wrapped_data_key);
  } catch {
    throw new DeviceKeyError(
      `the device key in ${keyFile} does not open this queue's data key: wrong key file, or the queue belongs to another device`,
    );
  }
  const recorded = createPublicKey({ key: row.verifying_key, format: "der", type: "spki" });
  if (!recorded.equals(keys.verifyingKey)) {
    throw new DeviceKeyError(
      `the signing key in ${keyFile} is not the one that signed this queue's records`,
    );
  }
  return { dataKey, device: keys, createdKeyFile: created };
}

/** The key a queue's records were signed with, as the database recorded it. */
export function recordedVerifyingKey(db: Database.Database): Buffer | undefined {
  return readKeyRow(db)?.verifying_key;
}

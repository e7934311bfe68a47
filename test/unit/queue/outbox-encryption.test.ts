import { chmodSync, existsSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { createDeviceKeyFile, DeviceKeyError } from "../../../agent/queue/device-keys.js";
import { Outbox } from "../../../agent/queue/outbox.js";
import type { CaptureRecord } from "../../../agent/records/capture-record.js";
import { encodeCaptureRecord, decodeCaptureRecord } from "../../../agent/records/record-codec.js";
import { freshQueuePath, outboxTracker } from "../../support/queue-files.js";
import { makeRecord } from "../../support/records.js";

const outboxes = outboxTracker();
afterEach(() => outboxes.closeAll());

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PGM_HEADER = Buffer.from("P5\n64 48\n255\n");

/** A record whose pixels start with image-file signatures and continue with a known run. */
function recordWithSignatures(): { record: CaptureRecord; run: Buffer } {
  const record = makeRecord(5);
  const finger = record.fingers[0];
  if (finger === undefined) throw new Error("makeRecord has a finger");
  const pixels = Uint8Array.from(finger.image?.pixels ?? []);
  pixels.set(PNG_SIGNATURE, 0);
  pixels.set(PGM_HEADER, 100);
  const run = Buffer.from(pixels.subarray(400, 440));
  const image = { width: 64, height: 48, resolutionPpi: 500, pixels };
  return { record: { ...record, fingers: [{ ...finger, image }] }, run };
}

function holds(bytes: Buffer, needle: Buffer): boolean {
  return bytes.indexOf(needle) !== -1;
}

describe("outbox encryption at rest", () => {
  it("leaves no image signature or pixel run in the database or its WAL", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    const { record, run } = recordWithSignatures();
    const plain = Buffer.from(encodeCaptureRecord(record));
    // The scan would find them if the record were stored as encoded.
    expect([PNG_SIGNATURE, PGM_HEADER, run].every((needle) => holds(plain, needle))).toBe(true);
    for (let i = 0; i < 5; i++) outbox.enqueue({ ...record, id: makeRecord(i).id });
    // Still open: the commits sit in the WAL, not yet checkpointed.
    const wal = readFileSync(`${path}-wal`);
    expect(wal.length).toBeGreaterThan(5 * plain.length);
    for (const file of [readFileSync(path), wal]) {
      for (const needle of [PNG_SIGNATURE, PGM_HEADER, run])
        expect(holds(file, needle)).toBe(false);
    }
    // ... and the outbox still hands the record back intact.
    const [first] = outbox.oldest(1);
    const decoded = decodeCaptureRecord(first?.payload ?? new Uint8Array());
    expect(Buffer.from(decoded.fingers[0]?.image?.pixels ?? []).subarray(400, 440)).toEqual(run);
  });

  it("stores the data key only wrapped, and creates the device key file with mode 0600", () => {
    const path = freshQueuePath();
    const outbox = outboxes.open(path);
    expect(outbox.createdKeyFile).toBe(true);
    const keyFile = join(dirname(path), "device-key");
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    outbox.close();
    const db = new Database(path, { readonly: true });
    const row = db
      .prepare<[], { wrapped_data_key: Buffer }>("SELECT wrapped_data_key FROM queue_keys")
      .get();
    db.close();
    // 12-byte nonce, 32-byte key, 16-byte tag: a wrapped key, not a bare one.
    expect(row?.wrapped_data_key.length).toBe(60);
    expect(readFileSync(path).indexOf(readFileSync(keyFile))).toBe(-1);
  });

  it("refuses a key file that the group or others can read, without quoting it", () => {
    const path = freshQueuePath();
    outboxes.open(path).close();
    const keyFile = join(dirname(path), "device-key");
    chmodSync(keyFile, 0o640);
    const secret = JSON.parse(readFileSync(keyFile, "utf8")) as { wrappingKey: string };
    let error: unknown;
    try {
      Outbox.open(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DeviceKeyError);
    expect(String(error)).toMatch(/readable by others \(mode 0640\).*chmod 600/);
    expect(String(error)).not.toContain(secret.wrappingKey);
  });

  it("refuses to start when the key file is missing but the queue was keyed", () => {
    const path = freshQueuePath();
    outboxes.open(path).enqueue(makeRecord());
    outboxes.closeAll();
    unlinkSync(join(dirname(path), "device-key"));
    expect(() => Outbox.open(path)).toThrow(/missing but the queue already holds data sealed/);
    // It must not have quietly made a replacement.
    expect(existsSync(join(dirname(path), "device-key"))).toBe(false);
  });

  it("refuses the wrong device key, naming the file and not the key", () => {
    const path = freshQueuePath();
    outboxes.open(path).enqueue(makeRecord());
    outboxes.closeAll();
    const other = join(dirname(path), "other-key");
    createDeviceKeyFile(other);
    expect(() => Outbox.open(path, { keyFile: other })).toThrow(
      /the device key in .*other-key does not open this queue's data key/,
    );
  });

  it("refuses to create a key when told the key is provisioned, and a file that is not a key", () => {
    const path = freshQueuePath();
    expect(() => Outbox.open(path, { createKeyFile: false })).toThrow(
      /does not exist; provision it/,
    );
    const keyFile = join(dirname(path), "device-key");
    writeFileSync(keyFile, "hello", { mode: 0o600 });
    expect(() => Outbox.open(path)).toThrow(/is not a Basma device key file/);
  });
});

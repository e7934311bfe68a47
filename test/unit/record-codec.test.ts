import { describe, expect, it } from "vitest";
import {
  decodeCaptureRecord,
  decodeCbor,
  encodeCaptureRecord,
  encodeCbor,
} from "../../agent/records/record-codec.js";
import { decodeRecordMessage, encodeRecordMessage, WireError } from "../../agent/sync/wire.js";
import { makeRecord } from "../support/records.js";

describe("capture record codec", () => {
  it("round-trips a record with its pixels as raw bytes", () => {
    const record = makeRecord(5);
    const bytes = encodeCaptureRecord(record);
    const pixelCount = 64 * 48;
    // Raw byte string: the encoding is barely larger than the pixels themselves.
    // (The attempt log, sensors and timings add under a kilobyte.)
    expect(bytes.length).toBeLessThan(pixelCount + 1_200);
    const decoded = decodeCaptureRecord(bytes);
    expect(decoded).toEqual({
      ...record,
      fingers: [
        {
          ...record.fingers[0],
          image: { ...record.fingers[0]?.image, pixels: expect.any(Uint8Array) as Uint8Array },
        },
      ],
    });
    expect(
      Buffer.from(decoded.fingers[0]?.image?.pixels ?? []).equals(
        Buffer.from(record.fingers[0]?.image?.pixels ?? [1]),
      ),
    ).toBe(true);
  });

  it("refuses truncated bytes", () => {
    const bytes = encodeCaptureRecord(makeRecord());
    expect(() => decodeCaptureRecord(bytes.subarray(0, bytes.length - 10))).toThrow();
  });

  it("refuses trailing garbage and duplicate map keys", () => {
    const bytes = encodeCbor({ a: 1 });
    expect(() => decodeCbor(Uint8Array.from([...bytes, 0x00]))).toThrow();
    // {"a": 1, "a": 2} written by hand: A2 61 61 01 61 61 02
    expect(() => decodeCbor(Uint8Array.from([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]))).toThrow(
      /repeat map key/,
    );
  });

  it("says which field is wrong without repeating any pixel data", () => {
    const record = makeRecord();
    const broken = {
      ...record,
      fingers: [
        {
          ...record.fingers[0],
          image: {
            width: 10,
            height: 10,
            resolutionPpi: 500,
            pixels: new Uint8Array(99).fill(0xee),
          },
        },
      ],
    };
    let message = "";
    try {
      decodeCaptureRecord(encodeCbor(broken));
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(
      /^invalid capture record: fingers\.0\.image: expected width x height pixels/,
    );
    expect(message).not.toMatch(/238|ee,ee/);
  });

  it("round-trips every attempt, the sensors and the timings exactly", () => {
    const record = makeRecord(3);
    const decoded = decodeCaptureRecord(encodeCaptureRecord(record));
    expect(decoded.fingers[0]?.attempts).toEqual(record.fingers[0]?.attempts);
    expect(decoded.fingers[0]?.bestAttempt).toBe(1);
    expect(decoded.sensors).toEqual(record.sensors);
    expect(decoded.timings).toEqual(record.timings);
    const withParameters = {
      ...record,
      fingers: [
        {
          ...record.fingers[0],
          attempts: [
            { ...record.fingers[0]?.attempts[0], parameters: { gain: 3, exposure: 12.5 } },
          ],
          bestAttempt: 0,
        },
      ],
    };
    expect(
      decodeCaptureRecord(encodeCbor(withParameters)).fingers[0]?.attempts[0]?.parameters,
    ).toEqual({ gain: 3, exposure: 12.5 });
  });

  it.each([
    ["an unknown verdict", { verdict: "soggy" }, /fingers\.0\.attempts\.0\.verdict/],
    ["an unknown feedback code", { feedback: ["shake-hand"] }, /attempts\.0\.feedback\.0/],
    ["a prompt outside the catalogue", { prompt: "say please" }, /attempts\.0\.prompt/],
    ["an unknown capture parameter", { parameters: { zoom: 2 } }, /attempts\.0\.parameters/],
    [
      "a negative timing",
      { timings: { placementWaitMs: -1, captureMs: 1, assessmentMs: 1 } },
      /timings\.placementWaitMs/,
    ],
  ])("refuses an attempt with %s", (_label, change, path) => {
    const record = makeRecord();
    const finger = record.fingers[0];
    const broken = {
      ...record,
      fingers: [{ ...finger, attempts: [{ ...finger?.attempts[0], ...change }], bestAttempt: 0 }],
    };
    expect(() => decodeCaptureRecord(encodeCbor(broken))).toThrow(path);
  });

  it("refuses outcomes it does not know, a best attempt that is not one, and an image without a capture", () => {
    const record = makeRecord();
    const finger = record.fingers[0];
    expect(() => decodeCaptureRecord(encodeCbor({ ...record, outcome: "incomplete" }))).toThrow(
      /^invalid capture record: outcome:/,
    );
    expect(() =>
      decodeCaptureRecord(encodeCbor({ ...record, fingers: [{ ...finger, bestAttempt: 2 }] })),
    ).toThrow(/fingers\.0\.bestAttempt/);
    expect(() =>
      decodeCaptureRecord(
        encodeCbor({ ...record, fingers: [{ ...finger, outcome: "placement-timeout" }] }),
      ),
    ).toThrow(/fingers\.0\.image: expected an image exactly when the finger was captured/);
    expect(() => decodeCaptureRecord(encodeCbor({ ...record, sensors: undefined }))).toThrow(
      /sensors/,
    );
  });

  it("refuses a record id that is not a UUIDv7", () => {
    expect(() => decodeCaptureRecord(encodeCbor({ ...makeRecord(), id: "123" }))).toThrow(
      /^invalid capture record: id:/,
    );
  });
});

describe("record message envelope", () => {
  it("carries the stored payload byte for byte", () => {
    const payload = encodeCaptureRecord(makeRecord());
    const message = decodeRecordMessage(
      encodeRecordMessage(
        "gate-1",
        {
          id: "01a1fea5-3dad-73e7-9d9a-a49df44952d2",
          seq: 7,
          createdAt: new Date().toISOString(),
          payload,
          chain: {
            previousLink: new Uint8Array(32),
            link: new Uint8Array(32).fill(1),
            signature: new Uint8Array(64).fill(2),
          },
        },
        new Uint8Array(44).fill(3),
      ),
    );
    expect(message).toMatchObject({ v: 2, seq: 7, deviceId: "gate-1" });
    expect(Buffer.from(message.chain?.sig ?? []).equals(Buffer.alloc(64, 2))).toBe(true);
    expect(Buffer.from(message.payload).equals(Buffer.from(payload))).toBe(true);
  });

  it.each([
    ["not CBOR", Uint8Array.from([0xff, 0xff]), /not CBOR/],
    [
      "an unknown wire version",
      encodeCbor({
        v: 3,
        id: "01a1fea5-3dad-73e7-9d9a-a49df44952d2",
        seq: 1,
        deviceId: "d",
        createdAt: new Date().toISOString(),
        payload: new Uint8Array(1),
      }),
      /v:/,
    ],
    [
      "a missing payload",
      encodeCbor({
        v: 1,
        id: "01a1fea5-3dad-73e7-9d9a-a49df44952d2",
        seq: 1,
        deviceId: "d",
        createdAt: new Date().toISOString(),
      }),
      /payload/,
    ],
    [
      "a sequence of zero",
      encodeCbor({
        v: 1,
        id: "01a1fea5-3dad-73e7-9d9a-a49df44952d2",
        seq: 0,
        deviceId: "d",
        createdAt: new Date().toISOString(),
        payload: new Uint8Array(1),
      }),
      /seq/,
    ],
  ])("refuses %s with a WireError", (_label, bytes, reason) => {
    expect(() => decodeRecordMessage(bytes)).toThrow(WireError);
    expect(() => decodeRecordMessage(bytes)).toThrow(reason);
  });
});

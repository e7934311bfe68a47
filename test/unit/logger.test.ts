import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, resolveLogLevel, scrubBinary } from "../../agent/log/logger.js";

function captureLogger(level = "debug"): {
  lines: () => Record<string, unknown>[];
  raw: () => string;
  logger: ReturnType<typeof createLogger>;
} {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ name: "test", level, destination });
  return {
    logger,
    raw: () => text,
    lines: () =>
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe("logging", () => {
  it("writes one JSON object per line with level label, ISO time and message", () => {
    const { logger, lines } = captureLogger();
    logger.info({ recordId: "abc" }, "record queued");
    const [line] = lines();
    expect(line).toMatchObject({
      level: "info",
      name: "test",
      msg: "record queued",
      recordId: "abc",
    });
    expect(typeof line?.["time"] === "string" && !Number.isNaN(Date.parse(line["time"]))).toBe(
      true,
    );
  });

  it("never writes image or template bytes, wherever they hide", () => {
    const { logger, raw, lines } = captureLogger();
    const pixels = new Uint8Array(4096).fill(0xab);
    logger.info(
      {
        image: { pixels },
        attempts: [{ template: Buffer.from([0xde, 0xad, 0xbe, 0xef]) }],
        view: new DataView(new ArrayBuffer(16)),
      },
      "capture",
    );
    const child = logger.child({ component: "x" });
    child.warn(
      { err: Object.assign(new Error("bad frame"), { frame: Buffer.alloc(64, 0x5a) }) },
      "oops",
    );
    expect(raw()).not.toMatch(/171,171|abab|deadbeef|"data":\[/i);
    const [first, second] = lines();
    expect(first?.["image"]).toEqual({ pixels: "[binary 4096 bytes]" });
    expect(first?.["attempts"]).toEqual([{ template: "[binary 4 bytes]" }]);
    expect(first?.["view"]).toBe("[binary 16 bytes]");
    expect((second?.["err"] as Record<string, unknown>)["frame"]).toBe("[binary 64 bytes]");
    expect((second?.["err"] as Record<string, unknown>)["message"]).toBe("bad frame");
  });

  it("drops lines below the level", () => {
    const { logger, raw } = captureLogger("warn");
    logger.info("steady state");
    logger.warn("worth knowing");
    expect(raw()).not.toContain("steady state");
    expect(raw()).toContain("worth knowing");
  });

  it("takes BASMA_LOG_LEVEL over the configuration, ignoring nonsense", () => {
    expect(resolveLogLevel("info", { BASMA_LOG_LEVEL: "DEBUG" })).toBe("debug");
    expect(resolveLogLevel("warn", { BASMA_LOG_LEVEL: "chatty" })).toBe("warn");
    expect(resolveLogLevel("warn", {})).toBe("warn");
  });

  it("leaves ordinary values alone", () => {
    expect(scrubBinary({ a: 1, b: ["x", null], c: { d: true } })).toEqual({
      a: 1,
      b: ["x", null],
      c: { d: true },
    });
  });
});

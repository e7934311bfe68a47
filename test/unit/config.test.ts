import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadAgentConfig, parseAgentConfig } from "../../agent/config/load.js";

function problemsOf(input: unknown): readonly string[] {
  try {
    parseAgentConfig(input, "test.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected the configuration to be refused");
}

const productionConfig = {
  device: { id: "kwi-t2-gate-07", site: "KWI Terminal 2", lane: "7", direction: "exit" },
  sensors: [
    {
      id: "index",
      kind: "r30x",
      path: "/dev/serial/by-id/usb-FTDI_FT232R-if00-port0",
      baud: 115_200,
      model: "r503",
      password: 0x12_34_56_78,
    },
    { id: "slap", kind: "usb", match: { vendorId: 0x05ba, productId: 0x000a }, model: "uru4500" },
  ],
  gpio: {
    backend: "sysfs",
    pins: {
      gateRelay: { line: 17 },
      ledGreen: { line: 27, activeLow: true },
      buzzer: { line: 22 },
    },
  },
  capture: {
    plan: { name: "ten-print-442", fingers: [13, 14, 15] },
    qualityThreshold: 55,
    attemptsPerFinger: 4,
    timeouts: { placementMs: 20_000 },
  },
  queue: { path: "/var/lib/basma/queue.sqlite", maxRecords: 50_000 },
  mqtt: {
    url: "mqtts://centre.example:8883",
    topicPrefix: "moi/basma",
    tls: { ca: "/etc/basma/ca.pem", cert: "/etc/basma/device.pem", key: "/etc/basma/device.key" },
    protocolVersion: 5,
  },
  logging: { level: "warn" },
};

describe("agent configuration", () => {
  it("fills every default from an empty file, giving a local stack", () => {
    const config = parseAgentConfig({});
    expect(config.device).toEqual({
      id: "sim-terminal-01",
      site: "lab",
      lane: "1",
      direction: "entry",
    });
    expect(config.sensors).toEqual([
      {
        id: "sensor-1",
        kind: "r30x",
        path: "tcp://127.0.0.1:5300",
        baud: 57_600,
        model: "r307",
        address: 0xff_ff_ff_ff,
        password: 0,
        tuneLink: false,
      },
    ]);
    expect(config.mqtt.url).toBe("mqtt://127.0.0.1:1883");
    expect(config.capture.plan).toBe("kiosk-two-index");
    expect(config.capture.timeouts).toEqual({
      placementMs: 15_000,
      captureMs: 15_000,
      sessionMs: 120_000,
      retryLiftMs: 2_000,
      failoverOpenMs: 5_000,
    });
    expect(config.queue.path).toBe(".basma/queue.sqlite");
    expect(config.gpio).toEqual({ backend: "none", pins: {} });
  });

  it("accepts a full production configuration and keeps what it says", () => {
    const config = parseAgentConfig(productionConfig);
    expect(config.device.direction).toBe("exit");
    expect(config.sensors[1]).toMatchObject({ kind: "usb", match: { vendorId: 0x05ba } });
    expect(config.gpio.pins.ledGreen).toEqual({ line: 27, activeLow: true });
    expect(config.gpio.pins.gateRelay).toEqual({ line: 17, activeLow: false });
    expect(config.capture.timeouts).toEqual({
      placementMs: 20_000,
      captureMs: 15_000,
      sessionMs: 120_000,
      retryLiftMs: 2_000,
      failoverOpenMs: 5_000,
    });
    expect(config.mqtt.tls?.key).toBe("/etc/basma/device.key");
  });

  it.each([
    ["an unknown top-level key", { colour: "red" }, "colour: unknown key"],
    ["an unknown nested key", { device: { id: "a", colour: "red" } }, "device.colour: unknown key"],
    [
      "a misspelt option inside a list",
      { sensors: [{ id: "a", kind: "r30x", path: "/dev/ttyS0", baudrate: 9600 }] },
      "sensors[0].baudrate: unknown key",
    ],
  ])("refuses %s, naming its path", (_label, input, expected) => {
    expect(problemsOf(input)).toContain(expected);
  });

  it.each([
    [
      "a baud rate an R30x cannot run",
      { sensors: [{ id: "a", kind: "r30x", path: "/dev/ttyS0", baud: 12_345 }] },
      /^sensors\[0\]\.baud: .*57600/,
    ],
    ["a missing serial path", { sensors: [{ id: "a", kind: "r30x" }] }, /^sensors\[0\]\.path: /],
    [
      "an unknown sensor kind",
      { sensors: [{ id: "a", kind: "bluetooth" }] },
      /^sensors\[0\]\.kind: .*'r30x' \| 'usb'/,
    ],
    [
      "a USB id out of range",
      {
        sensors: [
          { id: "a", kind: "usb", match: { vendorId: 70_000, productId: 1 }, model: "uru4500" },
        ],
      },
      /^sensors\[0\]\.match\.vendorId: /,
    ],
    ["no sensors at all", { sensors: [] }, /^sensors: expected at least one sensor/],
    [
      "two sensors with one id",
      {
        sensors: [
          { id: "a", kind: "r30x", path: "/dev/a" },
          { id: "a", kind: "r30x", path: "/dev/b" },
        ],
      },
      /^sensors: expected unique sensor ids/,
    ],
    [
      "a direction that is neither entry nor exit",
      { device: { direction: "sideways" } },
      /^device\.direction: .*"entry".*"exit"/,
    ],
    [
      "a device id that would break MQTT topics",
      { device: { id: "gate/7" } },
      /^device\.id: expected 1-64 letters/,
    ],
    [
      "a finger code outside ISO",
      { capture: { plan: { name: "x", fingers: [2, 11] } } },
      /^capture\.plan\.fingers\[1\]: expected an ISO finger position code/,
    ],
    ["an unknown built-in plan", { capture: { plan: "everything" } }, /^capture\.plan: /],
    [
      "a quality threshold over 100",
      { capture: { qualityThreshold: 101 } },
      /^capture\.qualityThreshold: /,
    ],
    [
      "a string where a number belongs",
      { capture: { attemptsPerFinger: "3" } },
      /^capture\.attemptsPerFinger: .*number/,
    ],
    [
      "an http broker URL",
      { mqtt: { url: "http://centre:80" } },
      /^mqtt\.url: expected an mqtt:\/\//,
    ],
    ["TLS without a key", { mqtt: { tls: { ca: "a", cert: "b" } } }, /^mqtt\.tls\.key: /],
    [
      "a wildcard in the topic prefix",
      { mqtt: { topicPrefix: "basma/#" } },
      /^mqtt\.topicPrefix: /,
    ],
    ["an unknown log level", { logging: { level: "loud" } }, /^logging\.level: /],
    ["an array for the whole file", [], /^\(top level\): /],
  ])("refuses %s, naming its path and what was expected", (_label, input, expected) => {
    const problems = problemsOf(input);
    expect(
      problems.some((p) => expected.test(p)),
      `problems were: ${problems.join(" | ")}`,
    ).toBe(true);
  });

  it("reports every problem at once, not only the first", () => {
    const problems = problemsOf({
      device: { direction: "up" },
      logging: { level: "loud" },
      extra: 1,
    });
    expect(problems).toHaveLength(3);
  });

  describe("loading a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "basma-config-"));

    it("reads and validates JSON", async () => {
      const path = join(dir, "ok.json");
      writeFileSync(path, JSON.stringify(productionConfig));
      expect((await loadAgentConfig(path)).device.id).toBe("kwi-t2-gate-07");
    });

    it("says when the file is missing", async () => {
      await expect(loadAgentConfig(join(dir, "absent.json"))).rejects.toThrow(
        /cannot read the file \(ENOENT\)/,
      );
    });

    it("says when the file is not JSON, and names the file", async () => {
      const path = join(dir, "broken.json");
      writeFileSync(path, "{ device: ");
      await expect(loadAgentConfig(path)).rejects.toThrow(
        new RegExp(`${path.replaceAll("/", "\\/")}.*not valid JSON`, "s"),
      );
    });

    it("uses the defaults without a file", async () => {
      expect((await loadAgentConfig()).mqtt.topicPrefix).toBe("basma");
    });
  });
});

import { describe, expect, it } from "vitest";
import { createSensor } from "../../../drivers/create-sensor.js";
import { isSensorError, type SensorError } from "../../../drivers/sensor.js";
import type { SensorStatus } from "../../../drivers/supervised-sensor.js";
import { Uru4000Sensor, type UsbSensorConfig } from "../../../drivers/uru4000/uru4000-sensor.js";
import { SimulatedUru4000 } from "../../../hardware-sim/uru4000/simulated-reader.js";
import { captureLog } from "../../support/log-capture.js";
import { waitFor } from "../../support/wait.js";

const config: UsbSensorConfig = {
  id: "usb-1",
  kind: "usb",
  match: { vendorId: 0x05ba, productId: 0x000a, serialNumber: "SN-7" },
  model: "uru4000b",
};

/** A simulated reader with a 4500 and an open driver on it, finger ready to capture. */
async function openReader(): Promise<{ reader: SimulatedUru4000; sensor: Uru4000Sensor }> {
  const reader = new SimulatedUru4000({ model: "uru4500", serialNumber: "SN-7", person: 3 });
  const sensor = new Uru4000Sensor(config, { openTransport: reader.openTransport });
  await sensor.open();
  return { reader, sensor };
}

async function failure(promise: Promise<unknown>): Promise<SensorError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSensorError(error)) throw new Error(`expected a SensorError, got ${String(error)}`);
  return error;
}

describe("U.are.U faults, injected in the simulated reader", () => {
  it("disconnect during a wait: fails as disconnected, then every call says unplugged; close leaks nothing", async () => {
    const { reader, sensor } = await openReader();
    const waiting = sensor.waitForFinger({ timeoutMs: 5_000 });
    reader.inject({ kind: "disconnect" });
    expect((await failure(waiting)).kind).toBe("disconnected");
    const next = await failure(sensor.captureImage());
    expect(next.kind).toBe("disconnected");
    expect(next.message).toMatch(/unplugged|gone/);
    await sensor.close();
    expect(reader.openTransports).toBe(0);
  });

  it("stall: the halt is cleared and the transfer goes through", async () => {
    const reader = new SimulatedUru4000({ model: "uru4500", serialNumber: "SN-7", person: 3 });
    const log = captureLog();
    const sensor = new Uru4000Sensor(config, {
      openTransport: reader.openTransport,
      logger: log.logger,
    });
    await sensor.open();
    reader.inject({ kind: "stall", on: "bulk" });
    reader.placeFinger();
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    await expect(sensor.captureImage()).resolves.toMatchObject({ width: 384, height: 290 });
    expect(log.lines().map((line) => line.msg)).toEqual([
      "U.are.U endpoint stalled; clearing the halt",
    ]);
    await sensor.close();
  });

  it("a stall that comes back after the clear is a device error naming it", async () => {
    const { reader, sensor } = await openReader();
    const original = reader.clearHalt.bind(reader);
    reader.clearHalt = (generation, endpoint) => {
      original(generation, endpoint);
      reader.inject({ kind: "stall", on: "control" });
    };
    reader.inject({ kind: "stall", on: "control" });
    const error = await failure(sensor.waitForFinger({ timeoutMs: 1_000 }));
    expect(error.kind).toBe("device");
    expect(error.message).toMatch(/stalled again after its halt was cleared/);
    await sensor.close();
  });

  it("short transfers: image, interrupt report and register read each fail with their sizes", async () => {
    const { reader, sensor } = await openReader();
    reader.placeFinger();
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    // Two short frames in a row: the driver tries one more frame, then gives up.
    reader.inject({ kind: "short-transfer", on: "bulk", bytes: 5_000 });
    reader.inject({ kind: "short-transfer", on: "bulk", bytes: 5_000 });
    const image = await failure(sensor.captureImage());
    expect(image.kind).toBe("protocol");
    expect(image.message).toMatch(
      /short image transfer: 5000 bytes, the header announces 289 lines/,
    );

    reader.inject({ kind: "short-transfer", on: "interrupt", bytes: 2 });
    reader.liftFinger();
    const report = await failure(sensor.waitForFingerRemoved({ timeoutMs: 1_000 }));
    expect(report.kind).toBe("protocol");
    expect(report.message).toMatch(/interrupt report of 2 bytes; expected 64/);
    await sensor.close();

    const fresh = new SimulatedUru4000({ model: "uru4500", serialNumber: "SN-7" });
    fresh.inject({ kind: "short-transfer", on: "control", bytes: 0 });
    const opening = await failure(
      new Uru4000Sensor(config, { openTransport: fresh.openTransport }).open(),
    );
    expect(opening.kind).toBe("protocol");
    expect(opening.message).toMatch(/short register read at 0x7: 0 of 1 bytes/);
    expect(fresh.openTransports).toBe(0);
  });

  it("a short frame followed by a good one is retried once and succeeds", async () => {
    const { reader, sensor } = await openReader();
    reader.placeFinger();
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    reader.inject({ kind: "short-transfer", on: "bulk", bytes: 100 });
    await expect(sensor.captureImage()).resolves.toMatchObject({ width: 384 });
    expect(reader.captures).toBe(2);
    await sensor.close();
  });

  it("timeout: a transfer that times out is no-reply, and the next one works", async () => {
    const { reader, sensor } = await openReader();
    reader.inject({ kind: "timeout", on: "control" });
    const error = await failure(sensor.waitForFinger({ timeoutMs: 1_000 }));
    expect(error.kind).toBe("no-reply");
    reader.placeFinger();
    await expect(sensor.waitForFinger({ timeoutMs: 1_000 })).resolves.toBeUndefined();
    await sensor.close();
  });

  it("device-died: the 0800 interrupt, an empty frame, then the next frame is taken", async () => {
    const { reader, sensor } = await openReader();
    const log = captureLog();
    const logged = new Uru4000Sensor(config, {
      openTransport: reader.openTransport,
      logger: log.logger,
    });
    await sensor.close();
    await logged.open();
    reader.placeFinger();
    reader.inject({ kind: "device-died" });
    await logged.waitForFinger({ timeoutMs: 1_000 });
    await expect(logged.captureImage()).resolves.toMatchObject({ width: 384 });
    const messages = log.lines().map((line) => line.msg);
    expect(messages).toContain("U.are.U announced a failing scan (interrupt 0800)");
    expect(messages).toContain("U.are.U frame rejected; reading another");
    expect(JSON.stringify(log.lines())).toMatch(/empty image transfer/);
    await logged.close();
  });

  it("a reader that hangs is reset and comes back", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", serialNumber: "SN-7" });
    reader.inject({ kind: "unresponsive" });
    const sensor = new Uru4000Sensor(config, { openTransport: reader.openTransport });
    await expect(sensor.open()).resolves.toMatchObject({ kind: "usb" });
    expect(reader.resets).toBe(1);
    await sensor.close();
  });
});

describe("U.are.U under the supervisor", () => {
  const fast = { backoff: { initialMs: 20, maxMs: 40 }, random: () => 0.5 };

  it("reports missing while unplugged and reopens the same reader when it returns", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", serialNumber: "SN-7" });
    const sensor = createSensor(config, {
      openUsbTransport: reader.openTransport,
      supervisor: fast,
    });
    const statuses: SensorStatus[] = [];
    sensor.onStatus((status) => statuses.push(status));
    await sensor.open();
    reader.unplug();
    const error = await failure(sensor.waitForFinger({ timeoutMs: 1_000 }));
    expect(error.kind).toBe("disconnected");
    await waitFor("status missing", () => sensor.status === "missing");
    const whileAway = await failure(sensor.captureImage());
    expect(whileAway.message).toMatch(/is missing/);
    reader.plugIn();
    await waitFor("status ready", () => sensor.status === "ready");
    expect(sensor.describe().identity.serialNumber).toBe("SN-7");
    reader.placeFinger();
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    await sensor.close();
    expect(statuses).toEqual(["ready", "lost", "missing", "ready", "closed"]);
    expect(reader.openTransports).toBe(0);
  });

  it("reports faulty when the reader does not answer even after a reset", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", serialNumber: "SN-7" });
    reader.inject({ kind: "unresponsive", survivesReset: true });
    const sensor = createSensor(config, {
      openUsbTransport: reader.openTransport,
      supervisor: fast,
    });
    const opening = sensor.open();
    await waitFor("status faulty", () => sensor.status === "faulty");
    expect(reader.resets).toBeGreaterThanOrEqual(1);
    await sensor.close();
    await opening.catch(() => undefined);
    expect(reader.openTransports).toBe(0);
  });

  it("reopens as soon as the reader is plugged back in, not at the end of a long backoff", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", serialNumber: "SN-7" });
    const sensor = createSensor(config, {
      openUsbTransport: reader.openTransport,
      watchUsbArrivals: reader.watchArrivals,
      supervisor: { backoff: { initialMs: 600_000, maxMs: 600_000 }, random: () => 0.99 },
    });
    await sensor.open();
    reader.unplug();
    await failure(sensor.waitForFinger({ timeoutMs: 1_000 }));
    await waitFor("status missing", () => sensor.status === "missing");
    reader.plugIn();
    await waitFor("status ready", () => sensor.status === "ready", 8_000);
    await sensor.close();
    expect(reader.openTransports).toBe(0);
  });

  it("reports missing when the reader is not plugged in at start-up", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", serialNumber: "SN-7" });
    reader.unplug();
    const sensor = createSensor(config, {
      openUsbTransport: reader.openTransport,
      supervisor: fast,
    });
    const opening = sensor.open();
    await waitFor("status missing", () => sensor.status === "missing");
    reader.plugIn();
    await expect(opening).resolves.toMatchObject({ kind: "usb", model: "uru4000b" });
    await sensor.close();
  });
});

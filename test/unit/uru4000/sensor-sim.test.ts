import { describe, expect, it } from "vitest";
import { IMAGE_HEIGHT, IMAGE_WIDTH, Mode } from "../../../drivers/uru4000/constants.js";
import { Uru4000Sensor, type UsbSensorConfig } from "../../../drivers/uru4000/uru4000-sensor.js";
import { isSensorError } from "../../../drivers/sensor.js";
import { renderPrint } from "../../../hardware-sim/prints/render-print.js";
import { SimulatedUru4000 } from "../../../hardware-sim/uru4000/simulated-reader.js";

const config = (model: UsbSensorConfig["model"], serialNumber?: string): UsbSensorConfig => ({
  id: "usb-1",
  kind: "usb",
  match: {
    vendorId: 0x05ba,
    productId: model === "uru4000" ? 0x0007 : 0x000a,
    ...(serialNumber && { serialNumber }),
  },
  model,
});

function differing(a: Uint8Array, b: Uint8Array): number {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) count++;
  return count;
}

describe("U.are.U driver against the simulated reader", () => {
  for (const model of ["uru4000", "uru4000b", "uru4500"] as const) {
    it(`${model}: powers up, waits for the finger, captures the print, waits for it to lift`, async () => {
      const reader = new SimulatedUru4000({ model, serialNumber: "A1B2", person: 5, position: 2 });
      const sensor = new Uru4000Sensor(config(model), { openTransport: reader.openTransport });
      const description = await sensor.open();
      expect(description).toMatchObject({
        kind: "usb",
        model,
        imageWidth: IMAGE_WIDTH,
        imageHeight: IMAGE_HEIGHT,
        resolutionPpi: 500,
        identity: { serialNumber: "A1B2", hardwareVersion: "0456", firmwareVersion: "0123" },
        capabilities: { indicator: false },
      });

      const waiting = sensor.waitForFinger({ timeoutMs: 5_000 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(reader.mode).toBe(Mode.AwaitFingerOn);
      reader.placeFinger();
      await waiting;
      const image = await sensor.captureImage();
      expect(image.width * image.height).toBe(image.pixels.length);
      const truth = renderPrint({
        seed: 5,
        position: 2,
        impression: 0,
        sensor: "usb-optical",
      }).pixels;
      // Only the row the reader never sends and the byte each obfuscated block drops may differ.
      expect(differing(image.pixels, truth)).toBeLessThan(IMAGE_WIDTH + 10);
      expect(image.durationMs).toBeGreaterThanOrEqual(0);

      const lifting = sensor.waitForFingerRemoved({ timeoutMs: 5_000 });
      reader.liftFinger();
      await lifting;
      await sensor.close();
      expect(reader.mode).toBe(Mode.Off);
      expect(reader.openTransports).toBe(0);
    });
  }

  it("brings a reader out of the confused power state", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", initialHardwareStatus: 0x85 });
    const sensor = new Uru4000Sensor(config("uru4000b"), { openTransport: reader.openTransport });
    await expect(sensor.open()).resolves.toMatchObject({ model: "uru4000b" });
    await sensor.close();
  });

  it("times out a wait with nobody at the reader, and the reader stays usable", async () => {
    const reader = new SimulatedUru4000({ model: "uru4500" });
    const sensor = new Uru4000Sensor(config("uru4500"), { openTransport: reader.openTransport });
    await sensor.open();
    const error: unknown = await sensor.waitForFinger({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isSensorError(error, "timeout")).toBe(true);
    reader.placeFinger();
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    await sensor.close();
  });

  it("finds only the reader with the configured serial number", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b", serialNumber: "OTHER" });
    const sensor = new Uru4000Sensor(config("uru4000b", "WANTED"), {
      openTransport: reader.openTransport,
    });
    const error: unknown = await sensor.open().catch((e: unknown) => e);
    expect(isSensorError(error, "disconnected")).toBe(true);
    expect((error as Error).message).toMatch(/serial WANTED/);
  });

  it("stops a wait when its signal fires", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b" });
    const sensor = new Uru4000Sensor(config("uru4000b"), { openTransport: reader.openTransport });
    await sensor.open();
    const controller = new AbortController();
    const waiting = sensor.waitForFinger({ timeoutMs: 10_000, signal: controller.signal });
    controller.abort();
    const error: unknown = await waiting.catch((e: unknown) => e);
    expect(isSensorError(error, "aborted")).toBe(true);
    await sensor.close();
    expect(reader.openTransports).toBe(0);
  });

  it("close() during a wait cancels the wait before switching the reader off", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b" });
    const sensor = new Uru4000Sensor(config("uru4000b"), { openTransport: reader.openTransport });
    await sensor.open();
    const waiting = sensor.waitForFinger({ timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    await sensor.close();
    const error: unknown = await waiting.catch((e: unknown) => e);
    expect(isSensorError(error, "aborted")).toBe(true);
    expect(reader.mode).toBe(Mode.Off);
    expect(reader.openTransports).toBe(0);
  });

  it("refuses the indicator it does not have", async () => {
    const reader = new SimulatedUru4000({ model: "uru4000b" });
    const sensor = new Uru4000Sensor(config("uru4000b"), { openTransport: reader.openTransport });
    await sensor.open();
    const error: unknown = await sensor.setIndicator({ pattern: "off" }).catch((e: unknown) => e);
    expect(isSensorError(error, "unsupported")).toBe(true);
    await sensor.close();
  });
});

import { afterEach, describe, expect, it } from "vitest";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import { BaudWire } from "../support/baud-wire.js";
import { captureLog } from "../support/log-capture.js";

const opened: R30xSensor[] = [];
afterEach(async () => {
  for (const sensor of opened.splice(0)) await sensor.close();
});

function sensorOn(
  wire: BaudWire,
  overrides: { baud?: 57_600 | 115_200 | 9600; tuneLink?: boolean; model?: "r307" | "r503" } = {},
) {
  const log = captureLog();
  const sensor = new R30xSensor(
    r30xSensorConfig({
      id: "gate-sensor",
      path: "/dev/serial/by-id/usb-FTDI-if00",
      baud: 57_600,
      ...overrides,
    }),
    { openLink: wire.openLink, pollIntervalMs: 5, logger: log.logger },
  );
  opened.push(sensor);
  return { sensor, log };
}

async function captureOnce(
  sensor: R30xSensor,
  module: SimulatedR30xModule,
  width: number,
  height: number,
): Promise<number> {
  module.placeFinger(syntheticImage(width, height, 3));
  await sensor.waitForFinger({ timeoutMs: 2_000 });
  const image = await sensor.captureImage();
  module.liftFinger();
  return image.pixels.length;
}

describe("R30x link management", () => {
  it("finds a module that runs at another rate than configured, and says so", async () => {
    const module = new SimulatedR30xModule({ model: "r307", baudMultiplier: 12 });
    const wire = new BaudWire(module);
    const { sensor, log } = sensorOn(wire);
    const description = await sensor.open();
    expect(description.identity["baud"]).toBe("115200");
    expect(wire.opens[0]).toBe(57_600);
    expect(wire.opens.at(-1)).toBe(115_200);
    expect(log.lines().some((l) => String(l["msg"]).includes("another baud rate"))).toBe(true);
    expect(await captureOnce(sensor, module, 256, 288)).toBe(256 * 288);
  });

  it("finds a module at 9600, the slowest rate", async () => {
    const module = new SimulatedR30xModule({ model: "r307", baudMultiplier: 1 });
    const { sensor } = sensorOn(new BaudWire(module));
    expect((await sensor.open()).identity["baud"]).toBe("9600");
  });

  it("does not probe further when the module answers with a failure (wrong password)", async () => {
    const module = new SimulatedR30xModule({ model: "r307", password: 0x1234 });
    const wire = new BaudWire(module);
    const { sensor } = sensorOn(wire);
    await expect(sensor.open()).rejects.toMatchObject({ kind: "device", deviceCode: 0x13 });
    expect(wire.opens).toEqual([57_600]);
  });

  it("raises baud rate and packet size when tuning is on, and captures at the new settings", async () => {
    const module = new SimulatedR30xModule({ model: "r307" });
    const wire = new BaudWire(module);
    const { sensor } = sensorOn(wire, { tuneLink: true });
    const description = await sensor.open();
    expect(description.identity).toMatchObject({ baud: "115200", packetSize: "256" });
    expect(module.baud).toBe(115_200);
    expect(await captureOnce(sensor, module, 256, 288)).toBe(256 * 288);
  });

  // Probing a garbling line runs into several command timeouts by design.
  it(
    "falls back to the old rate when the cable does not carry the faster one",
    { timeout: 20_000 },
    async () => {
      const module = new SimulatedR30xModule({ model: "r307" });
      const wire = new BaudWire(module, { reliableUpTo: 57_600, errorEvery: 60 });
      const { sensor, log } = sensorOn(wire, { tuneLink: true });
      const description = await sensor.open();
      expect(description.identity["baud"]).toBe("57600");
      expect(module.baud).toBe(57_600);
      expect(log.lines().some((l) => String(l["msg"]).includes("falling back"))).toBe(true);
      expect(await captureOnce(sensor, module, 256, 288)).toBe(256 * 288);
    },
  );

  it("takes the image size from an R503's own product information", async () => {
    const module = new SimulatedR30xModule({ model: "r503" });
    const { sensor } = sensorOn(new BaudWire(module), { model: "r503" });
    const description = await sensor.open();
    expect([description.imageWidth, description.imageHeight]).toEqual([192, 192]);
    expect(description.identity["serial"]).toBeDefined();
    expect(await captureOnce(sensor, module, 192, 192)).toBe(192 * 192);
  });

  it("drives the R503's aura ring and refuses the light on a model without one", async () => {
    const module = new SimulatedR30xModule({ model: "r503" });
    const { sensor } = sensorOn(new BaudWire(module), { model: "r503" });
    await sensor.open();
    await sensor.setIndicator({ pattern: "breathing", colour: "blue", cycles: 0 });
    expect(module.aura).toMatchObject({ control: 1, colour: 2, cycles: 0 });
    await sensor.setIndicator({ pattern: "off" });
    expect(module.aura).toMatchObject({ control: 4 });

    const r307 = sensorOn(new BaudWire(new SimulatedR30xModule({ model: "r307" }))).sensor;
    await r307.open();
    await expect(r307.setIndicator({ pattern: "steady", colour: "green" })).rejects.toMatchObject({
      kind: "unsupported",
    });
  });
});

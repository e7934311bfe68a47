import { afterEach, describe, expect, it } from "vitest";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import { openByteLink } from "../../drivers/link/open-byte-link.js";
import { quantiseTo4Bits } from "../../drivers/r30x/image.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { isSensorError } from "../../drivers/sensor.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import {
  startTcpSerialServer,
  type TcpSerialServer,
} from "../../hardware-sim/r30x/tcp-serial-server.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function serve(module = new SimulatedR30xModule()): Promise<TcpSerialServer> {
  const server = await startTcpSerialServer(module, { port: 0 });
  cleanups.push(() => server.close());
  return server;
}

function sensorAt(path: string, id = "tcp-1"): R30xSensor {
  const sensor = new R30xSensor(r30xSensorConfig({ id, path }));
  cleanups.push(() => sensor.close());
  return sensor;
}

describe("R30x over a serial-over-TCP bridge", () => {
  it("captures through the simulator's TCP server", async () => {
    const module = new SimulatedR30xModule();
    const server = await serve(module);
    expect(server.url).toBe(`tcp://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    const sensor = sensorAt(server.url);
    await sensor.open();
    const placed = syntheticImage(256, 288, 6);
    module.placeFinger(placed);
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    const image = await sensor.captureImage();
    expect(Buffer.from(image.pixels).equals(Buffer.from(placed.pixels.map(quantiseTo4Bits)))).toBe(
      true,
    );
  });

  it("lets a new connection take the line from the old one", async () => {
    const server = await serve();
    const first = sensorAt(server.url, "first");
    await first.open();
    const second = sensorAt(server.url, "second");
    await second.open();
    await expect(second.waitForFinger({ timeoutMs: 50 })).rejects.toMatchObject({
      kind: "timeout",
    });
    await expect(first.waitForFinger({ timeoutMs: 1_000 })).rejects.toMatchObject({
      kind: "disconnected",
    });
  });

  it("names the address when the bridge cannot be reached", async () => {
    const server = await serve();
    const url = server.url;
    await server.close();
    const error = await openByteLink(url, 57_600).catch((e: unknown) => e);
    expect(isSensorError(error, "disconnected")).toBe(true);
    expect((error as Error).message).toContain(`cannot connect to ${url}`);
  });

  it("rejects a malformed tcp address", async () => {
    const error = await openByteLink("tcp://nohostport", 57_600).catch((e: unknown) => e);
    expect(isSensorError(error, "unsupported")).toBe(true);
  });

  it("names the device when a serial port cannot be opened", async () => {
    const error = await openByteLink("/dev/does-not-exist-r30x", 57_600).catch((e: unknown) => e);
    expect(isSensorError(error, "disconnected")).toBe(true);
    expect((error as Error).message).toContain("cannot open serial port /dev/does-not-exist-r30x");
  });

  it("honours an abort before connecting", async () => {
    const server = await serve();
    const controller = new AbortController();
    controller.abort();
    const error = await openByteLink(server.url, 57_600, controller.signal).catch(
      (e: unknown) => e,
    );
    expect(isSensorError(error, "aborted")).toBe(true);
  });
});

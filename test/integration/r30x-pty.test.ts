import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { quantiseTo4Bits } from "../../drivers/r30x/image.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import {
  startTcpSerialServer,
  type TcpSerialServer,
} from "../../hardware-sim/r30x/tcp-serial-server.js";

const socatInstalled = spawnSync("socat", ["-V"], { stdio: "ignore" }).status === 0;

async function waitForPath(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await stat(path);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

// Reason for skipping: socat makes the pseudo-terminal (apt-get install -y socat).
describe.skipIf(!socatInstalled)("R30x driver over a pseudo-terminal (serialport + socat)", () => {
  const module = new SimulatedR30xModule({ model: "r307" });
  let dir = "";
  let server: TcpSerialServer | undefined;
  let socat: ChildProcess | undefined;
  let socatExit: Promise<unknown> = Promise.resolve();
  let ttyPath = "";

  const ptySensor = (id: string): R30xSensor =>
    new R30xSensor(r30xSensorConfig({ id, path: ttyPath }), { pollIntervalMs: 20 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "basma-r30x-"));
    ttyPath = join(dir, "ttyR30X");
    server = await startTcpSerialServer(module, { port: 0 });
    const child = spawn(
      "socat",
      [`pty,raw,echo=0,link=${ttyPath}`, `tcp:127.0.0.1:${server.port}`],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    socat = child;
    socatExit = new Promise((resolve) => child.once("exit", resolve));
    await waitForPath(ttyPath, 5_000);
  });

  afterAll(async () => {
    if (socat && socat.exitCode === null) {
      socat.kill("SIGTERM");
      await socatExit;
    }
    await server?.close();
    if (dir !== "") await rm(dir, { recursive: true, force: true });
  });

  it("opens the module and captures the placed image through serialport", async () => {
    const sensor = ptySensor("pty-1");
    try {
      const description = await sensor.open();
      expect(description.identity).toMatchObject({
        systemId: "0x0009",
        packetSize: "128",
        baud: "57600",
      });
      await expect(sensor.waitForFinger({ timeoutMs: 150 })).rejects.toMatchObject({
        kind: "timeout",
      });

      const placed = syntheticImage(256, 288, 11);
      module.placeFinger(placed);
      await sensor.waitForFinger({ timeoutMs: 2_000 });
      const image = await sensor.captureImage();
      expect([image.width, image.height]).toEqual([256, 288]);
      const expected = placed.pixels.map(quantiseTo4Bits);
      expect(Buffer.from(image.pixels).equals(Buffer.from(expected))).toBe(true);

      module.liftFinger();
      await sensor.waitForFingerRemoved({ timeoutMs: 2_000 });
    } finally {
      await sensor.close();
    }
  });

  it("reopens the port after a close", async () => {
    const sensor = ptySensor("pty-2");
    for (let round = 0; round < 2; round++) {
      await expect(sensor.open()).resolves.toMatchObject({ id: "pty-2" });
      await sensor.close();
    }
  });

  // Last: it ends the pseudo-terminal.
  it("reports 'disconnected' once the line has gone away", async () => {
    const sensor = ptySensor("pty-3");
    await sensor.open();
    socat?.kill("SIGTERM");
    await socatExit;
    await expect(sensor.waitForFinger({ timeoutMs: 5_000 })).rejects.toMatchObject({
      kind: "disconnected",
    });
    await expect(sensor.captureImage()).rejects.toMatchObject({ kind: "disconnected" });
    await sensor.close();
  });
});

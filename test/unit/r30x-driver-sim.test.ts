import { describe, expect, it } from "vitest";
import { r30xSensorConfig, type R30xSensorConfig } from "../../agent/config/schema.js";
import type { ByteLink } from "../../drivers/link/byte-link.js";
import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import { Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame } from "../../drivers/r30x/frame.js";
import { quantiseTo4Bits } from "../../drivers/r30x/image.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { isSensorError, type SensorErrorKind } from "../../drivers/sensor.js";
import { attachModuleToLink } from "../../hardware-sim/r30x/attach-link.js";
import {
  SimulatedR30xModule,
  type SimulatedR30xOptions,
} from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import { loseBytesOnClosedLine } from "../support/closed-line.js";

const BASE_CONFIG: R30xSensorConfig = r30xSensorConfig({ id: "sensor-1", path: "memory://r30x" });

interface Rig {
  readonly sensor: R30xSensor;
  readonly module: SimulatedR30xModule;
  /** Instructions the module has received, in order, over every connection. */
  readonly instructions: number[];
  /** The device end of the latest connection. */
  readonly device: () => ByteLink;
  /** Stops the module answering on the latest connection. */
  readonly detach: () => void;
}

/** A sensor whose every open() gets a fresh in-memory line to the same module. */
function rig(
  config: Partial<R30xSensorConfig> = {},
  moduleOptions: SimulatedR30xOptions = {},
): Rig {
  const module = new SimulatedR30xModule({ model: config.model ?? "r307", ...moduleOptions });
  const instructions: number[] = [];
  let current: { device: ByteLink; detach: () => void } | undefined;
  const openLink = (): Promise<ByteLink> => {
    const { host, device } = createMemoryLinkPair();
    current = { device, detach: attachModuleToLink(module, device) };
    const spy = new FrameParser({
      onFrame: (frame) => {
        if (frame.pid === Pid.Command) instructions.push(frame.payload[0] ?? -1);
      },
    });
    device.onData((chunk) => {
      spy.push(chunk);
    });
    return Promise.resolve(host);
  };
  const connection = (): { device: ByteLink; detach: () => void } => {
    if (!current) throw new Error("not connected");
    return current;
  };
  return {
    sensor: new R30xSensor({ ...BASE_CONFIG, ...config }, { openLink, pollIntervalMs: 5 }),
    module,
    instructions,
    device: () => connection().device,
    detach: () => {
      connection().detach();
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

async function expectKind(promise: Promise<unknown>, kind: SensorErrorKind): Promise<void> {
  const error = await rejection(promise);
  expect(isSensorError(error) ? error.kind : error).toBe(kind);
}

describe("R30xSensor against the simulated module", () => {
  it("opens, verifies the password and reports the module's identity", async () => {
    const { sensor, instructions } = rig();
    expect(() => sensor.describe()).toThrow(/has not been opened/);
    const description = await sensor.open();
    expect(description).toEqual({
      id: "sensor-1",
      kind: "r30x",
      model: "r307",
      imageWidth: 256,
      imageHeight: 288,
      resolutionPpi: 500,
      identity: {
        systemId: "0x0009",
        librarySize: "1000",
        securityLevel: "3",
        packetSize: "128",
        baud: "57600",
      },
      capabilities: { indicator: false },
    });
    expect(sensor.describe()).toBe(description);
    expect(instructions).toEqual([Instruction.VfyPwd, Instruction.ReadSysPara]);
    await sensor.close();
  });

  it("fails open with the module's wrong-password code and releases the link", async () => {
    const { sensor, device } = rig({ password: 1234 }, { password: 4321 });
    let closed = false;
    const opening = rejection(sensor.open());
    device().onClose(() => {
      closed = true;
    });
    const error = await opening;
    expect(isSensorError(error, "device")).toBe(true);
    expect(isSensorError(error) && error.deviceCode).toBe(0x13);
    expect((error as Error).message).toMatch(/wrong password/);
    expect(closed).toBe(true);
  });

  it("opens a password-protected module with the right password", async () => {
    const { sensor } = rig({ password: 0xdead_beef }, { password: 0xdead_beef });
    await expect(sensor.open()).resolves.toMatchObject({ id: "sensor-1" });
    await sensor.close();
  });

  it("times out waiting for a finger when none comes", async () => {
    const { sensor, instructions } = rig();
    await sensor.open();
    const started = performance.now();
    await expectKind(sensor.waitForFinger({ timeoutMs: 120 }), "timeout");
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    expect(instructions.filter((i) => i === Instruction.GenImg).length).toBeGreaterThan(2);
    await sensor.close();
  });

  it("captures the placed image after waitForFinger without a second GenImg", async () => {
    const { sensor, module, instructions } = rig();
    await sensor.open();
    const placed = syntheticImage(256, 288, 3);
    module.placeFinger(placed);
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    const genImgBefore = instructions.filter((i) => i === Instruction.GenImg).length;
    const image = await sensor.captureImage();
    expect(instructions.filter((i) => i === Instruction.GenImg).length).toBe(genImgBefore);
    expect(instructions.at(-1)).toBe(Instruction.UpImage);
    expect(image.sensorId).toBe("sensor-1");
    expect([image.width, image.height, image.resolutionPpi]).toEqual([256, 288, 500]);
    expect(image.pixels).toEqual(placed.pixels.map(quantiseTo4Bits));
    expect(image.capturedAt).toBeInstanceOf(Date);
    expect(image.durationMs).toBeGreaterThanOrEqual(0);
    await sensor.close();
  });

  it("takes its own image when captureImage is called on its own", async () => {
    const { sensor, module, instructions } = rig();
    await sensor.open();
    await expectKind(sensor.captureImage(), "device");
    module.placeFinger(syntheticImage(256, 288, 5));
    const image = await sensor.captureImage();
    expect(instructions.slice(-2)).toEqual([Instruction.GenImg, Instruction.UpImage]);
    expect(image.pixels[1]).toBe(quantiseTo4Bits(syntheticImage(256, 288, 5).pixels[1] ?? 0));
    await sensor.close();
  });

  it("uses the model's image size and the module's packet size", async () => {
    for (const packetSizeCode of [0, 3] as const) {
      const { sensor, module } = rig({ model: "r503" }, { packetSizeCode });
      const description = await sensor.open();
      expect([
        description.imageWidth,
        description.imageHeight,
        description.capabilities.indicator,
      ]).toEqual([192, 192, true]);
      expect(description.identity["packetSize"]).toBe(String([32, 64, 128, 256][packetSizeCode]));
      const placed = syntheticImage(192, 192, 9);
      module.placeFinger(placed);
      const image = await sensor.captureImage();
      expect(image.pixels).toEqual(placed.pixels.map(quantiseTo4Bits));
      await sensor.close();
    }
  });

  it("waits for the finger to be removed", async () => {
    const { sensor, module } = rig();
    await sensor.open();
    module.placeFinger(syntheticImage(256, 288));
    await sensor.waitForFinger({ timeoutMs: 500 });
    const removed = sensor.waitForFingerRemoved({ timeoutMs: 2_000 });
    setTimeout(() => {
      module.liftFinger();
    }, 40);
    await removed;
    expect(module.fingerPlaced).toBe(false);
    await expectKind(
      sensor.waitForFingerRemoved({ timeoutMs: 500 }).then(() => sensor.captureImage()),
      "device",
    );
    await sensor.close();
  });

  it("aborts a wait and stays usable afterwards", async () => {
    const { sensor, module } = rig();
    await sensor.open();
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 30);
    await expectKind(
      sensor.waitForFinger({ timeoutMs: 5_000, signal: controller.signal }),
      "aborted",
    );
    await expectKind(sensor.captureImage(controller.signal), "aborted");
    module.placeFinger(syntheticImage(256, 288, 2));
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    expect((await sensor.captureImage()).pixels.length).toBe(256 * 288);
    await sensor.close();
  });

  it("fails the command in flight and every later call when the link drops", async () => {
    const { sensor, device, detach } = rig();
    await sensor.open();
    detach(); // The module stops answering, so GenImg is in flight when the line goes.
    const waiting = sensor.waitForFinger({ timeoutMs: 5_000 });
    setTimeout(() => {
      void device().close();
    }, 20);
    await expectKind(waiting, "disconnected");
    await expectKind(sensor.captureImage(), "disconnected");
    await expectKind(sensor.waitForFinger({ timeoutMs: 100 }), "disconnected");
    await sensor.close();
    await expectKind(sensor.captureImage(), "not-open");
  });

  it("rejects pending commands on close and is safe to close twice", async () => {
    const { sensor, detach } = rig();
    await sensor.open();
    detach();
    const waiting = expectKind(sensor.waitForFinger({ timeoutMs: 5_000 }), "disconnected");
    await new Promise((resolve) => setTimeout(resolve, 10));
    await sensor.close();
    await sensor.close();
    await waiting;
    await expectKind(sensor.captureImage(), "not-open");
  });

  it("ignores frames from another address", async () => {
    const { sensor, module, device, detach } = rig(
      { address: 0x0a0b0c0d },
      { address: 0x0a0b0c0d },
    );
    await sensor.open();
    detach();
    // A second device on the line claims a finger is present; its answers must not count.
    const impostor = encodeFrame({
      address: 0xff_ff_ff_ff,
      pid: Pid.Acknowledge,
      payload: Uint8Array.of(0x00),
    });
    const line = device();
    const spy = new FrameParser({
      onFrame: (frame) => {
        if (frame.payload[0] === Instruction.GenImg)
          line.write(impostor).catch(loseBytesOnClosedLine);
      },
    });
    line.onData((chunk) => {
      spy.push(chunk);
    });
    // Re-attached after the impostor, so its answer always arrives first.
    attachModuleToLink(module, line);
    await expectKind(sensor.waitForFinger({ timeoutMs: 100 }), "timeout");
    await sensor.close();
  });

  it("gets no answer from a module at another address, at any baud rate", async () => {
    const module = new SimulatedR30xModule({ address: 0x01 });
    let opens = 0;
    const sensor = new R30xSensor(
      { ...BASE_CONFIG, address: 0x02 },
      {
        openLink: () => {
          opens++;
          const { host, device } = createMemoryLinkPair();
          attachModuleToLink(module, device);
          return Promise.resolve(host);
        },
      },
    );
    const error = await rejection(sensor.open());
    expect(isSensorError(error, "no-reply")).toBe(true);
    expect((error as Error).message).toMatch(/no R30x module answered at any standard baud rate/);
    // The configured rate, then every other standard one.
    expect(opens).toBe(12);
  });

  it("aborts open with the caller's signal", async () => {
    const { sensor } = rig();
    const controller = new AbortController();
    controller.abort();
    await expectKind(sensor.open(controller.signal), "aborted");
    await expect(sensor.open()).resolves.toMatchObject({ kind: "r30x" });
    await sensor.close();
  });
});

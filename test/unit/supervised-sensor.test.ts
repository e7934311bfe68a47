import { afterEach, describe, expect, it } from "vitest";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import type { ByteLink } from "../../drivers/link/byte-link.js";
import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { SensorError, isSensorError } from "../../drivers/sensor.js";
import {
  backoffDelay,
  SupervisedSensor,
  type SensorStatus,
} from "../../drivers/supervised-sensor.js";
import { attachModuleToLink } from "../../hardware-sim/r30x/attach-link.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import { waitFor } from "../support/wait.js";

/** A module on a cable that tests can pull out, plug back in, or make go silent. */
class Bench {
  readonly module = new SimulatedR30xModule({ model: "r307" });
  plugged = true;
  opens = 0;
  #host: ByteLink | undefined;
  #detach: (() => void) | undefined;

  readonly openLink = (path: string): Promise<ByteLink> => {
    this.opens++;
    if (!this.plugged) {
      return Promise.reject(new SensorError("disconnected", `cannot open ${path}: ENOENT`));
    }
    const { host, device } = createMemoryLinkPair();
    this.#host = host;
    this.#detach = attachModuleToLink(this.module, device);
    return Promise.resolve(host);
  };

  async unplug(): Promise<void> {
    this.plugged = false;
    this.#detach?.();
    await this.#host?.close();
  }

  /** The module stops answering while the line stays up, as a hung one does. */
  hang(): void {
    this.#detach?.();
  }
}

const sensors: SupervisedSensor[] = [];
afterEach(async () => {
  for (const sensor of sensors.splice(0)) await sensor.close();
});

function supervise(bench: Bench): { sensor: SupervisedSensor; statuses: SensorStatus[] } {
  const inner = new R30xSensor(r30xSensorConfig({ id: "s1", path: "/dev/serial/by-id/usb-test" }), {
    openLink: bench.openLink,
    pollIntervalMs: 10,
  });
  const sensor = new SupervisedSensor(inner, {
    backoff: { initialMs: 20, maxMs: 80 },
    random: () => 0.5,
  });
  const statuses: SensorStatus[] = [];
  sensor.onStatus((status) => statuses.push(status));
  sensors.push(sensor);
  return { sensor, statuses };
}

describe("supervised sensor", () => {
  it("waits for a sensor that is not plugged in yet, then opens it", async () => {
    const bench = new Bench();
    bench.plugged = false;
    const { sensor, statuses } = supervise(bench);
    const opened = sensor.open();
    await waitFor("a few failed attempts", () => bench.opens >= 3);
    expect(sensor.status).toBe("connecting");
    bench.plugged = true;
    await expect(opened).resolves.toMatchObject({ id: "s1", imageWidth: 256 });
    expect(statuses).toEqual(["ready"]);
  });

  it("reopens by itself after an unplug, and captures again", async () => {
    const bench = new Bench();
    const { sensor, statuses } = supervise(bench);
    await sensor.open();
    await bench.unplug();
    const during = await sensor.waitForFinger({ timeoutMs: 500 }).catch((error: unknown) => error);
    expect(isSensorError(during, "disconnected")).toBe(true);
    await waitFor("the supervisor to notice", () => sensor.status === "lost");
    // While it is away, calls fail at once instead of waiting out their timeouts.
    const started = Date.now();
    await expect(sensor.captureImage()).rejects.toMatchObject({ kind: "disconnected" });
    expect(Date.now() - started).toBeLessThan(50);

    bench.plugged = true;
    await waitFor(
      "the sensor to come back without anyone asking",
      () => sensor.status === "ready",
      5_000,
    );
    expect(statuses).toEqual(["ready", "lost", "ready"]);
    bench.module.placeFinger(syntheticImage(256, 288, 4));
    await sensor.waitForFinger({ timeoutMs: 1_000 });
    const image = await sensor.captureImage();
    expect(image.pixels.length).toBe(256 * 288);
  });

  it(
    "declares a module that stops answering dead and reopens it once it answers again",
    { timeout: 20_000 },
    async () => {
      const bench = new Bench();
      const { sensor } = supervise(bench);
      await sensor.open();
      bench.hang();
      // Each unanswered GenImg is "no-reply", never "timeout": nobody failed to place a finger.
      for (let i = 0; i < 2; i++) {
        const error = await sensor.waitForFinger({ timeoutMs: 10_000 }).catch((e: unknown) => e);
        expect(isSensorError(error, "no-reply"), String(error)).toBe(true);
      }
      await waitFor("the sensor to be declared lost", () => sensor.status !== "ready");
      await waitFor("the reopened module to answer", () => sensor.status === "ready", 10_000);
      expect(bench.opens).toBeGreaterThanOrEqual(2);
    },
  );

  it("counts a device that answers, even with a failure code, as alive", async () => {
    const bench = new Bench();
    const { sensor } = supervise(bench);
    await sensor.open();
    await expect(sensor.captureImage()).rejects.toMatchObject({ kind: "device" });
    expect(sensor.status).toBe("ready");
  });

  it("stops reconnecting once closed, and can be opened again", async () => {
    const bench = new Bench();
    bench.plugged = false;
    const { sensor } = supervise(bench);
    const opening = sensor.open();
    await waitFor("an attempt", () => bench.opens >= 1);
    await sensor.close();
    await expect(opening).rejects.toBeInstanceOf(SensorError);
    const attempts = bench.opens;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(bench.opens).toBe(attempts);
    bench.plugged = true;
    await expect(sensor.open()).resolves.toMatchObject({ id: "s1" });
  });

  it("lets one caller give up on open() without cancelling it for the others", async () => {
    const bench = new Bench();
    bench.plugged = false;
    const { sensor } = supervise(bench);
    const impatient = new AbortController();
    const first = sensor.open(impatient.signal);
    const second = sensor.open();
    impatient.abort();
    await expect(first).rejects.toMatchObject({ kind: "aborted" });
    bench.plugged = true;
    await expect(second).resolves.toMatchObject({ id: "s1" });
  });
});

describe("reconnect backoff", () => {
  const backoff = { initialMs: 500, maxMs: 30_000 };

  it("grows its cap exponentially up to the maximum", () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(attempt, backoff, 0.999_999))).toEqual([
      499, 999, 1999, 3999,
    ]);
    expect(backoffDelay(20, backoff, 0.999_999)).toBe(29_999);
  });

  it("spreads retries across the whole window (full jitter)", () => {
    expect(backoffDelay(10, backoff, 0)).toBe(10);
    expect(backoffDelay(10, backoff, 0.5)).toBe(15_000);
  });
});

import { performance } from "node:perf_hooks";
import { decodeFrame, parseFrame } from "../../drivers/uru4000/image-frame.js";
import { URU4000_MODELS } from "../../drivers/uru4000/models.js";
import { Uru4000Sensor } from "../../drivers/uru4000/uru4000-sensor.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { blockLayout, encodeFrame } from "../../hardware-sim/uru4000/frame-encoder.js";
import { SimulatedUru4000 } from "../../hardware-sim/uru4000/simulated-reader.js";
import { median, timeOperation, type Benchmark } from "../benchmark.js";

const CAPTURES = 40;
const print = (): Uint8Array =>
  renderPrint({ seed: 21, position: 2, impression: 0, sensor: "usb-optical" }).pixels;

/**
 * Finger-on interrupt to decoded image in memory, through the whole driver (mode change,
 * 111 kB bulk frame, two key round trips, de-obfuscation, assembly) against the simulated
 * 4500. CPU time is process.cpuUsage() over each capture, so it includes the simulated
 * device encoding the frame; the decode benchmark below is the driver's share alone.
 */
const capture: Benchmark = {
  name: "uru4000-capture-sim",
  description: "U.are.U 4500: finger-on event to decoded 384x290 image, simulated reader",
  async run() {
    const image = print();
    const reader = new SimulatedUru4000({ model: "uru4500", fingerImage: () => image });
    const sensor = new Uru4000Sensor(
      {
        id: "bench",
        kind: "usb",
        match: { vendorId: 0x05ba, productId: 0x000a },
        model: "uru4500",
      },
      { openTransport: reader.openTransport },
    );
    await sensor.open();
    const latencies: number[] = [];
    const cpu: number[] = [];
    try {
      for (let i = 0; i < CAPTURES; i++) {
        reader.placeFinger();
        await sensor.waitForFinger({ timeoutMs: 5_000 });
        const before = process.cpuUsage();
        const captured = await sensor.captureImage();
        const used = process.cpuUsage(before);
        latencies.push(captured.durationMs);
        cpu.push((used.user + used.system) / 1000);
        reader.liftFinger();
        await sensor.waitForFingerRemoved({ timeoutMs: 5_000 });
      }
    } finally {
      await sensor.close();
    }
    return [
      { metric: "finger-on to image p50", value: median(latencies), unit: "ms" },
      { metric: "finger-on to image max", value: Math.max(...latencies), unit: "ms" },
      { metric: "CPU per capture p50 (driver + simulated device)", value: median(cpu), unit: "ms" },
    ];
  },
};

const decode: Benchmark = {
  name: "uru4000-decode",
  description: "U.are.U 4500: check, de-obfuscate and assemble one frame (driver CPU alone)",
  async run() {
    const keyFor = (n: number): number => (0x2468_ace0 ^ n) >>> 0;
    const frame = encodeFrame(print(), {
      blocks: blockLayout(true),
      rotated: false,
      keyNumber: 0,
      keyFor,
    });
    const profile = URU4000_MODELS.uru4500;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const timing = await timeOperation(
      () => decodeFrame(frame, parseFrame(frame), profile, (n) => Promise.resolve(keyFor(n))),
      { iterations: 200 },
    );
    const used = process.cpuUsage(cpuBefore);
    const runs = 200 + Math.ceil(200 / 10);
    return [
      { metric: "decode p50", value: timing.p50Ms, unit: "ms/frame" },
      { metric: "decode CPU", value: (used.user + used.system) / 1000 / runs, unit: "ms/frame" },
      { metric: "wall for the run", value: performance.now() - started, unit: "ms" },
    ];
  },
};

export const uru4000Benchmarks: Benchmark[] = [capture, decode];

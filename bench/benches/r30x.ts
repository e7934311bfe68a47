import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import { r30xSensorConfig } from "../../agent/config/schema.js";
import { Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame } from "../../drivers/r30x/frame.js";
import { packImage, unpackImage } from "../../drivers/r30x/image.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { attachModuleToLink } from "../../hardware-sim/r30x/attach-link.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import { timeOperation, type Benchmark } from "../benchmark.js";

const WIDTH = 256;
const HEIGHT = 288;

const codec: Benchmark = {
  name: "r30x-frame-codec",
  description: "R30x: encode a 128-byte data packet and parse it back",
  async run() {
    const payload = new Uint8Array(128).map((_, i) => i);
    let parsed = 0;
    const parser = new FrameParser({
      onFrame: () => {
        parsed++;
      },
    });
    let frameBytes = 0;
    const batch = 1_000;
    const timing = await timeOperation(
      () => {
        for (let i = 0; i < batch; i++) {
          const bytes = encodeFrame({ address: 0xff_ff_ff_ff, pid: Pid.Data, payload });
          frameBytes = bytes.length;
          parser.push(bytes);
        }
      },
      { iterations: 200 },
    );
    if (parsed === 0) throw new Error("the parser produced no frames");
    const framesPerSecond = timing.opsPerSecond * batch;
    return [
      { metric: "encode+parse", value: framesPerSecond, unit: "frames/s" },
      { metric: "encode+parse", value: (framesPerSecond * frameBytes) / 1e6, unit: "MB/s" },
    ];
  },
};

const decode: Benchmark = {
  name: "r30x-image-decode",
  description: "R30x: unpack a 256x288 4-bit UpImage transfer to 8-bit",
  async run() {
    const packed = packImage(syntheticImage(WIDTH, HEIGHT).pixels);
    const timing = await timeOperation(() => unpackImage(packed, WIDTH, HEIGHT), {
      iterations: 500,
    });
    return [
      { metric: "decode mean", value: timing.meanMs, unit: "ms/image" },
      { metric: "decode p99", value: timing.p99Ms, unit: "ms/image" },
    ];
  },
};

const capture: Benchmark = {
  name: "r30x-capture-sim",
  description: "R30x: GenImg + UpImage + decode against the simulator over an in-memory link",
  async run() {
    const module = new SimulatedR30xModule({ model: "r307" });
    module.placeFinger(syntheticImage(WIDTH, HEIGHT));
    const { host, device } = createMemoryLinkPair();
    attachModuleToLink(module, device);
    const sensor = new R30xSensor(r30xSensorConfig({ id: "bench", path: "memory://bench" }), {
      openLink: () => Promise.resolve(host),
    });
    await sensor.open();
    try {
      const timing = await timeOperation(() => sensor.captureImage(), { iterations: 50 });
      return [
        { metric: "capture mean", value: timing.meanMs, unit: "ms/capture" },
        { metric: "capture p99", value: timing.p99Ms, unit: "ms/capture" },
      ];
    } finally {
      await sensor.close();
    }
  },
};

export const r30xBenchmarks: Benchmark[] = [codec, decode, capture];

import { r30xSensorConfig } from "../../agent/config/schema.js";
import { R30xSensor } from "../../drivers/r30x/r30x-sensor.js";
import { BAUD_UNIT, type PacketSizeCode } from "../../drivers/r30x/system-parameters.js";
import { HEADER_LENGTH, CHECKSUM_LENGTH, MIN_FRAME_LENGTH } from "../../drivers/r30x/frame.js";
import { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";
import { startTcpSerialServer } from "../../hardware-sim/r30x/tcp-serial-server.js";
import { syntheticImage } from "../../hardware-sim/r30x/synthetic-image.js";
import type { Benchmark, Figure } from "../benchmark.js";

/** 8N1: ten bits on the wire per byte. */
const BITS_PER_BYTE = 10;
const PACKET_CODE: Record<number, PacketSizeCode> = { 32: 0, 64: 1, 128: 2, 256: 3 };

/**
 * The least time an UpImage exchange can take at `baud`: the command, its
 * acknowledge and every data packet, each byte ten bits long, nothing in between.
 */
function lineLimitMs(imageBytes: number, packetSize: number, baud: number): number {
  const packets = Math.ceil(imageBytes / packetSize);
  const wireBytes = 2 * MIN_FRAME_LENGTH + imageBytes + packets * (HEADER_LENGTH + CHECKSUM_LENGTH);
  return (wireBytes * BITS_PER_BYTE * 1000) / baud;
}

/** A simulated module whose line runs at its baud rate, reached over TCP like a ser2net bridge. */
async function pacedModule(model: "r307" | "r503", baud: number, packetSize: number) {
  const module = new SimulatedR30xModule({
    model,
    baudMultiplier: baud / BAUD_UNIT,
    packetSizeCode: PACKET_CODE[packetSize] ?? 2,
  });
  const server = await startTcpSerialServer(module, { lineTiming: true });
  return { module, server };
}

const uploadEfficiency: Benchmark = {
  name: "r30x-upload-efficiency",
  description:
    "R30x: 256x288 UpImage through a paced simulated line, against the line-rate limit (target >= 0.97)",
  async run() {
    const figures: Figure[] = [];
    for (const baud of [57_600, 115_200]) {
      for (const packetSize of [128, 256]) {
        const { module, server } = await pacedModule("r307", baud, packetSize);
        const sensor = new R30xSensor(
          r30xSensorConfig({ id: "bench", path: server.url, baud: baud as 57_600 }),
          { pollIntervalMs: 20 },
        );
        try {
          await sensor.open();
          module.placeFinger(syntheticImage(256, 288, 1));
          // Leaves the image in the module's buffer, so the timed call is UpImage alone.
          await sensor.waitForFinger({ timeoutMs: 5_000 });
          const started = performance.now();
          const image = await sensor.captureImage();
          const elapsedMs = performance.now() - started;
          const limit = lineLimitMs((image.width * image.height) / 2, packetSize, baud);
          const label = `${baud}/${packetSize}`;
          figures.push(
            { metric: `upload ${label}`, value: elapsedMs, unit: "ms" },
            { metric: `line limit ${label}`, value: limit, unit: "ms" },
            { metric: `efficiency ${label}`, value: limit / elapsedMs, unit: "ratio" },
          );
        } finally {
          await sensor.close();
          await server.close();
          module.dispose();
        }
      }
    }
    return figures;
  },
};

const fingerToImage: Benchmark = {
  name: "r30x-finger-to-image",
  description:
    "R30x: finger placed to decoded image in memory, R307 and R503 profiles, default and tuned link",
  async run() {
    const figures: Figure[] = [];
    for (const model of ["r307", "r503"] as const) {
      for (const tuneLink of [false, true]) {
        const { module, server } = await pacedModule(model, 57_600, 128);
        const sensor = new R30xSensor(
          r30xSensorConfig({ id: "bench", path: server.url, model, tuneLink }),
          { pollIntervalMs: 50 },
        );
        try {
          const description = await sensor.open();
          const { imageWidth: width, imageHeight: height } = description;
          const placed = performance.now();
          module.placeFinger(syntheticImage(width, height, 2));
          await sensor.waitForFinger({ timeoutMs: 5_000 });
          await sensor.captureImage();
          const label = `${model} ${tuneLink ? "tuned" : "default"} (${description.identity["baud"] ?? "?"}/${description.identity["packetSize"] ?? "?"})`;
          figures.push({ metric: label, value: performance.now() - placed, unit: "ms" });
        } finally {
          await sensor.close();
          await server.close();
          module.dispose();
        }
      }
    }
    return figures;
  },
};

export const r30xLineBenchmarks: readonly Benchmark[] = [uploadEfficiency, fingerToImage];

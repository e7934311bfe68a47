import type { R30xModel } from "../drivers/r30x/models.js";
import { SimulatedR30xModule, type SimulatedR30xOptions } from "./r30x/simulated-module.js";
import { startTcpSerialServer } from "./r30x/tcp-serial-server.js";
import type { FingerPlaten } from "./travellers.js";

export interface SimulatedSensor {
  /** The agent's sensor path: tcp://127.0.0.1:PORT. */
  readonly url: string;
  readonly port: number;
  readonly model: R30xModel;
  /** Where simulated travellers put their fingers. */
  readonly platen: FingerPlaten;
  /** The module itself, for tests and benchmarks that look inside it. */
  readonly module: SimulatedR30xModule;
  close(): Promise<void>;
}

/** Where simulated travellers put their fingers on a simulated module. */
export function platenOf(module: SimulatedR30xModule): FingerPlaten {
  return {
    imageWidth: module.profile.imageWidth,
    imageHeight: module.profile.imageHeight,
    placeFinger: (image) => {
      module.placeFinger(image);
    },
    liftFinger: () => {
      module.liftFinger();
    },
  };
}

/** A simulated R30x module reachable over TCP, as a serial-over-TCP bridge would expose a real one. */
export async function startSimulatedSensor(options: {
  port: number;
  model: R30xModel;
  host?: string;
  /** The module's settings (line speed, packet size, fault scenario) besides its model. */
  module?: Omit<SimulatedR30xOptions, "model">;
  /** Pace bytes at the module's baud rate, like the real cable; off by default. */
  lineTiming?: boolean;
}): Promise<SimulatedSensor> {
  const module = new SimulatedR30xModule({ ...options.module, model: options.model });
  const server = await startTcpSerialServer(module, {
    port: options.port,
    host: options.host ?? "127.0.0.1",
    lineTiming: options.lineTiming ?? false,
  });
  return {
    url: server.url,
    port: server.port,
    model: options.model,
    platen: platenOf(module),
    module,
    close: () => server.close(),
  };
}

import { PtyBridge } from "./pty-bridge.js";
import { SimulatedR30xModule, type SimulatedR30xOptions } from "./simulated-module.js";
import { startTcpSerialServer, type TcpSerialServer } from "./tcp-serial-server.js";

const CONNECT_TIMEOUT_MS = 5_000;

export interface SerialSimulatorOptions {
  /** Where the pseudo-terminal appears, e.g. /tmp/basma/ttyFP0. */
  readonly linkPath: string;
  readonly module: SimulatedR30xOptions;
  /** Pace the line at the module's baud rate. */
  readonly lineTiming: boolean;
  /** Told when the line goes away and comes back. */
  readonly onEvent?: (event: SerialSimulatorEvent) => void;
}

export type SerialSimulatorEvent =
  | { readonly kind: "unplugged"; readonly durationMs: number }
  | { readonly kind: "replugged"; readonly path: string }
  | { readonly kind: "replug-failed"; readonly message: string };

export interface SerialSimulator {
  readonly module: SimulatedR30xModule;
  readonly linkPath: string;
  /** Resolves once the link is back after an unplug fault, immediately when it is there. */
  plugged(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A simulated module behind a pseudo-terminal: module -> TCP server (the line, with
 * pacing and faults) -> socat -> pty. An unplug fault stops socat, so the device path
 * disappears as a pulled USB adapter's would, and starts it again after the fault's
 * duration at the same path; the reconnection powers the module up.
 */
export async function startSerialSimulator(
  options: SerialSimulatorOptions,
): Promise<SerialSimulator> {
  const module = new SimulatedR30xModule(options.module);
  const server: TcpSerialServer = await startTcpSerialServer(module, {
    port: 0,
    lineTiming: options.lineTiming,
  });
  const bridge = new PtyBridge(options.linkPath, server.port);
  let closed = false;
  /** Start and stop one at a time, in the order asked. */
  let plugging: Promise<void> = Promise.resolve();

  /** socat creates the pty, then connects: ready once both have happened. */
  const plugIn = async (): Promise<void> => {
    let off: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const connected = new Promise<void>((resolve, reject) => {
      off = server.onConnect(resolve);
      timer = setTimeout(() => {
        reject(new Error(`socat did not connect to the simulator within ${CONNECT_TIMEOUT_MS} ms`));
      }, CONNECT_TIMEOUT_MS);
    });
    // Observed here too, so a timeout while socat is still starting is not unhandled.
    connected.catch(() => undefined);
    try {
      await bridge.start();
      await connected;
    } finally {
      off();
      clearTimeout(timer);
    }
  };

  const unplugFor = (durationMs: number): void => {
    options.onEvent?.({ kind: "unplugged", durationMs });
    plugging = plugging
      .then(() => bridge.stop())
      .then(() => new Promise((resolve) => setTimeout(resolve, durationMs)))
      .then(async () => {
        if (closed) return;
        await plugIn();
        options.onEvent?.({ kind: "replugged", path: options.linkPath });
      })
      .catch((error: unknown) => {
        options.onEvent?.({
          kind: "replug-failed",
          message: error instanceof Error ? error.message : String(error),
        });
      });
  };

  const detach = module.onLineEvent((event) => {
    unplugFor(event.durationMs);
  });
  try {
    await plugIn();
  } catch (error) {
    detach();
    await server.close();
    throw error;
  }
  return {
    module,
    linkPath: options.linkPath,
    plugged: () => plugging,
    close: async () => {
      closed = true;
      detach();
      await plugging;
      await bridge.stop();
      await server.close();
      module.dispose();
    },
  };
}

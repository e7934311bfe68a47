import { createServer, type Socket } from "node:net";
import { ModuleLine } from "./module-line.js";
import type { SimulatedR30xModule } from "./simulated-module.js";

export interface TcpSerialServerOptions {
  readonly host?: string;
  /** 0 picks any free port. */
  readonly port?: number;
  /** Pace bytes at the module's baud rate (see ModuleLine); off by default. */
  readonly lineTiming?: boolean;
}

export interface TcpSerialServer {
  readonly host: string;
  /** The port actually bound. */
  readonly port: number;
  /** tcp://host:port, ready for a sensor's `path`. */
  readonly url: string;
  /** Called whenever a client takes the line; returns an unsubscribe function. */
  onConnect(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Puts one simulated module on a TCP port, like ser2net in front of a real one.
 * A serial line has a single master, so a new connection replaces the current one;
 * each connection powers the module up. An "unplug" fault cuts the client off and
 * refuses new ones until the line is back.
 */
export async function startTcpSerialServer(
  module: SimulatedR30xModule,
  options: TcpSerialServerOptions = {},
): Promise<TcpSerialServer> {
  const host = options.host ?? "127.0.0.1";
  const line = new ModuleLine(module, { lineTiming: options.lineTiming ?? false });
  const connectListeners = new Set<() => void>();
  let client: Socket | undefined;
  let unpluggedUntil = 0;

  const detachers = [
    line.onToHost((bytes) => {
      if (client && !client.destroyed) client.write(bytes);
    }),
    module.onLineEvent((event) => {
      unpluggedUntil = performance.now() + event.durationMs;
      client?.destroy();
      client = undefined;
      line.disconnect();
    }),
  ];
  const detachAll = (): void => {
    for (const detach of detachers) detach();
    line.close();
  };

  const server = createServer({ noDelay: true }, (socket) => {
    // A client vanishing mid-write is routine; the close that follows tidies up.
    socket.on("error", () => undefined);
    if (performance.now() < unpluggedUntil) {
      socket.destroy();
      return;
    }
    client?.destroy();
    client = socket;
    line.connect();
    socket.on("data", (chunk: Buffer) => {
      if (client === socket) line.fromHost(chunk);
    });
    socket.on("close", () => {
      if (client !== socket) return;
      client = undefined;
      line.disconnect();
    });
    for (const listener of [...connectListeners]) listener();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: unknown) => {
    detachAll();
    throw error;
  });

  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    detachAll();
    throw new Error("TCP serial server did not bind to a TCP port");
  }
  const url = `tcp://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  return {
    host,
    port: address.port,
    url,
    onConnect: (listener) => {
      connectListeners.add(listener);
      return () => connectListeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        detachAll();
        client?.destroy();
        client = undefined;
        server.close(() => {
          resolve();
        });
      }),
  };
}

import { createServer, type Socket } from "node:net";
import type { SimulatedR30xModule } from "./simulated-module.js";

export interface TcpSerialServerOptions {
  readonly host?: string;
  /** 0 picks any free port. */
  readonly port?: number;
}

export interface TcpSerialServer {
  readonly host: string;
  /** The port actually bound. */
  readonly port: number;
  /** tcp://host:port, ready for a sensor's `path`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Puts one simulated module on a TCP port, like ser2net in front of a real one.
 * A serial line has a single master, so a new connection replaces the current one.
 */
export async function startTcpSerialServer(
  module: SimulatedR30xModule,
  options: TcpSerialServerOptions = {},
): Promise<TcpSerialServer> {
  const host = options.host ?? "127.0.0.1";
  let client: Socket | undefined;

  const detachTransmit = module.onTransmit((bytes) => {
    if (client && !client.destroyed) client.write(bytes);
  });

  const server = createServer({ noDelay: true }, (socket) => {
    client?.destroy();
    client = socket;
    module.resetLine();
    socket.on("data", (chunk: Buffer) => {
      if (client === socket) module.receive(chunk);
    });
    // A client vanishing mid-write is routine; the close that follows tidies up.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      if (client === socket) client = undefined;
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: unknown) => {
    detachTransmit();
    throw error;
  });

  const address = server.address();
  if (address === null || typeof address === "string") {
    server.close();
    detachTransmit();
    throw new Error("TCP serial server did not bind to a TCP port");
  }
  const url = `tcp://${host.includes(":") ? `[${host}]` : host}:${address.port}`;
  return {
    host,
    port: address.port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        detachTransmit();
        client?.destroy();
        client = undefined;
        server.close(() => {
          resolve();
        });
      }),
  };
}

import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";

export interface EmbeddedBroker {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * An in-process MQTT 3.1.1 broker (aedes) on loopback, so the local stack needs
 * nothing installed. Port 0 takes any free port.
 */
export async function startEmbeddedBroker(
  port: number,
  host = "127.0.0.1",
): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    close: async () => {
      await new Promise<void>((resolve) => {
        broker.close(() => {
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        // Connected clients would hold the server open.
        server.unref();
      });
    },
  };
}

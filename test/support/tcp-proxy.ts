import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A TCP proxy between a client and a broker that can fail the way real links do: cut
 * (both sides see the connection reset) or black-holed (the connection stays open and
 * bytes vanish, as behind a dead NAT or a failed radio link, so only keepalives notice).
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #targetPort: number;
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  #blackHole = false;
  #refuse = false;
  /** Bytes forwarded from clients to the target. */
  bytesUp = 0;

  private constructor(server: Server, targetPort: number) {
    this.#server = server;
    this.#targetPort = targetPort;
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, targetPort);
    server.on("connection", (client) => {
      proxy.#accept(client);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get connections(): number {
    return this.#pairs.size;
  }

  #accept(client: Socket): void {
    if (this.#refuse) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ port: this.#targetPort, host: "127.0.0.1" });
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const close = (): void => {
      this.#pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("data", (chunk: Buffer) => {
      if (this.#blackHole) return;
      this.bytesUp += chunk.length;
      upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!this.#blackHole) client.write(chunk);
    });
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  }

  /** Resets every open connection; new ones are accepted (unless refusing). */
  cut(): void {
    for (const { client, upstream } of this.#pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    this.#pairs.clear();
  }

  /** From now on bytes in both directions are dropped silently; connections stay open. */
  blackHole(on: boolean): void {
    this.#blackHole = on;
  }

  /** Refuse new connections (the broker host is gone). */
  refuse(on: boolean): void {
    this.#refuse = on;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

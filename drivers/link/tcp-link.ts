import { connect, type Socket } from "node:net";
import { SensorError } from "../sensor.js";
import { abortError } from "./abort.js";
import type { ByteLink } from "./byte-link.js";
import { LinkEvents } from "./link-events.js";

/** An unreachable host can leave connect() pending for minutes. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How long close() lets queued bytes drain before dropping the socket. */
const CLOSE_GRACE_MS = 1_000;

export interface TcpEndpoint {
  readonly host: string;
  readonly port: number;
}

/** host and port from tcp://host:port (IPv6 hosts in brackets). */
export function parseTcpPath(path: string): TcpEndpoint {
  let url: URL;
  try {
    url = new URL(path);
  } catch (error) {
    throw new SensorError(
      "unsupported",
      `${path}: not a valid tcp://host:port address`,
      undefined,
      {
        cause: error,
      },
    );
  }
  const port = Number(url.port);
  if (url.protocol !== "tcp:" || url.hostname === "" || !Number.isInteger(port) || port < 1) {
    throw new SensorError("unsupported", `${path}: expected tcp://host:port`);
  }
  return { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port };
}

class TcpLink implements ByteLink {
  readonly #events = new LinkEvents();
  #closedByUs = false;

  constructor(
    private readonly socket: Socket,
    private readonly path: string,
  ) {
    let lastError: Error | undefined;
    socket.on("data", (chunk: Buffer) => {
      this.#events.emitData(chunk);
    });
    socket.on("error", (error) => {
      lastError = error;
    });
    socket.on("close", () => {
      if (this.#closedByUs) this.#events.emitClose();
      else this.#events.emitClose(lastError ?? new Error(`${path}: connection closed by the peer`));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#events.closed || this.socket.destroyed || !this.socket.writable) {
      return Promise.reject(new SensorError("disconnected", `${this.path}: connection is closed`));
    }
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => {
        if (error)
          reject(
            new SensorError(
              "disconnected",
              `${this.path}: write failed: ${error.message}`,
              undefined,
              { cause: error },
            ),
          );
        else resolve();
      });
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.#events.onData(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.#events.onClose(listener);
  }

  close(): Promise<void> {
    if (this.#events.closed) return Promise.resolve();
    this.#closedByUs = true;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(grace);
        resolve();
      };
      const grace = setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS);
      this.socket.once("close", done);
      this.socket.end();
    });
  }
}

/** Connects to a serial-over-TCP bridge (ser2net and the like) or the simulator. */
export async function openTcpLink(path: string, signal?: AbortSignal): Promise<ByteLink> {
  const { host, port } = parseTcpPath(path);
  if (signal?.aborted) throw abortError(signal, `opening ${path}`);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, noDelay: true });
    const fail = (error: SensorError): void => {
      cleanup();
      socket.destroy();
      reject(error);
    };
    const onAbort = (): void => {
      if (signal) fail(abortError(signal, `opening ${path}`));
    };
    const onError = (error: Error): void => {
      fail(
        new SensorError("disconnected", `cannot connect to ${path}: ${error.message}`, undefined, {
          cause: error,
        }),
      );
    };
    const timer = setTimeout(() => {
      fail(
        new SensorError(
          "no-reply",
          `cannot connect to ${path}: no answer within ${CONNECT_TIMEOUT_MS} ms`,
        ),
      );
    }, CONNECT_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      socket.off("error", onError);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", onError);
    socket.once("connect", () => {
      cleanup();
      resolve(new TcpLink(socket, path));
    });
  });
}

import { SerialPort } from "serialport";
import { SensorError } from "../sensor.js";
import { abortError } from "./abort.js";
import type { ByteLink } from "./byte-link.js";
import { LinkEvents } from "./link-events.js";

class SerialLink implements ByteLink {
  readonly #events = new LinkEvents();
  #closedByUs = false;
  #lastError: Error | undefined;

  constructor(
    private readonly port: SerialPort,
    private readonly path: string,
  ) {
    port.on("data", (chunk: Buffer) => {
      this.#events.emitData(chunk);
    });
    // Without a listener an 'error' event would crash the process; the close that follows reports it.
    port.on("error", (error: Error) => {
      this.#lastError = error;
    });
    port.on("close", (error: Error | null) => {
      if (this.#closedByUs) this.#events.emitClose();
      else this.#events.emitClose(error ?? this.#lastError ?? new Error(`${path}: port closed`));
    });
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#events.closed || !this.port.isOpen) {
      return Promise.reject(new SensorError("disconnected", `${this.path}: serial port is closed`));
    }
    return new Promise((resolve, reject) => {
      this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), (error) => {
        if (!error) {
          resolve();
          return;
        }
        reject(
          new SensorError(
            "disconnected",
            `${this.path}: write failed: ${error.message}`,
            undefined,
            {
              cause: error,
            },
          ),
        );
        this.#lose(error);
      });
    });
  }

  /**
   * A failed write means the device is gone. The reader does not always notice by
   * itself: on a hung-up pseudo-terminal reads return 0 bytes and serialport keeps
   * retrying, so the port is closed here to make the loss visible.
   */
  #lose(error: Error): void {
    if (this.#events.closed || this.#closedByUs) return;
    this.#lastError = error;
    if (this.port.isOpen) {
      this.port.close(() => undefined);
    } else {
      this.#events.emitClose(error);
    }
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.#events.onData(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.#events.onClose(listener);
  }

  close(): Promise<void> {
    if (this.#events.closed || this.#closedByUs) return Promise.resolve();
    this.#closedByUs = true;
    return new Promise((resolve) => {
      if (!this.port.isOpen) {
        this.#events.emitClose();
        resolve();
        return;
      }
      // A failed close still leaves nothing for us to release; the port is gone either way.
      this.port.close(() => {
        this.#events.emitClose();
        resolve();
      });
    });
  }
}

/** Opens a local serial device at 8N1, as every R30x module speaks. */
export function openSerialLink(
  path: string,
  baud: number,
  signal?: AbortSignal,
): Promise<ByteLink> {
  if (signal?.aborted) return Promise.reject(abortError(signal, `opening ${path}`));
  return new Promise((resolve, reject) => {
    let port: SerialPort;
    try {
      port = new SerialPort({
        path,
        baudRate: baud,
        dataBits: 8,
        parity: "none",
        stopBits: 1,
        autoOpen: false,
      });
    } catch (error) {
      reject(
        new SensorError(
          "unsupported",
          `cannot open serial port ${path}: ${errorMessage(error)}`,
          undefined,
          {
            cause: error,
          },
        ),
      );
      return;
    }
    port.open((error) => {
      if (error) {
        reject(
          new SensorError(
            "disconnected",
            `cannot open serial port ${path}: ${error.message}`,
            undefined,
            {
              cause: error,
            },
          ),
        );
        return;
      }
      if (signal?.aborted) {
        const aborted = abortError(signal, `opening ${path}`);
        port.close(() => {
          reject(aborted);
        });
        return;
      }
      resolve(new SerialLink(port, path));
    });
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

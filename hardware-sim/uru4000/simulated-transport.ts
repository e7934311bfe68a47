import {
  UsbTransferError,
  type TransferOptions,
  type UsbDeviceIdentity,
  type UsbTransport,
} from "../../drivers/uru4000/usb-transport.js";
import type { SimulatedUru4000 } from "./simulated-reader.js";

/** One open handle on a simulated reader; dead once the reader is unplugged. */
export class SimulatedTransport implements UsbTransport {
  readonly identity: UsbDeviceIdentity;
  readonly #reader: SimulatedUru4000;
  readonly #generation: number;
  #closed = false;

  constructor(reader: SimulatedUru4000, generation: number) {
    this.#reader = reader;
    this.#generation = generation;
    this.identity = reader.identity;
  }

  controlIn(register: number, length: number, options: TransferOptions): Promise<Uint8Array> {
    return this.#run(options, () => this.#reader.controlIn(this.#generation, register, length));
  }

  controlOut(register: number, data: Uint8Array, options: TransferOptions): Promise<void> {
    return this.#run(options, () => {
      const written = this.#reader.controlOut(this.#generation, register, data);
      if (written !== data.length) {
        throw new UsbTransferError(
          "io",
          `short register write at 0x${register.toString(16)}: ${written} of ${data.length} bytes`,
        );
      }
    });
  }

  interruptIn(length: number, options: TransferOptions): Promise<Uint8Array> {
    return this.#run(options, () => this.#reader.interruptIn(this.#generation, length, options));
  }

  bulkIn(length: number, options: TransferOptions): Promise<Uint8Array> {
    return this.#run(options, () => this.#reader.bulkIn(this.#generation, length, options));
  }

  clearHalt(endpoint: number, options: TransferOptions): Promise<void> {
    return this.#run(options, () => this.#reader.clearHalt(this.#generation, endpoint));
  }

  reset(options: TransferOptions): Promise<void> {
    return this.#run(options, () => this.#reader.reset(this.#generation));
  }

  onDetach(listener: () => void): () => void {
    return this.#reader.onDetach(this.#generation, listener);
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#reader.transportClosed();
    }
    return Promise.resolve();
  }

  /** Every transfer completes asynchronously, as a real one does. */
  #run<T>(options: TransferOptions, transfer: () => T | Promise<T>): Promise<T> {
    return Promise.resolve().then(() => {
      if (this.#closed)
        throw new UsbTransferError("disconnected", "the USB device has been closed");
      if (options.signal?.aborted) {
        throw new UsbTransferError("aborted", "transfer cancelled", {
          cause: options.signal.reason,
        });
      }
      return transfer();
    });
  }
}

import { Pid } from "../../drivers/r30x/constants.js";
import type { R30xFrame } from "../../drivers/r30x/frame.js";

export type ReceptionProgress = "more" | "complete" | "failed";

/**
 * The data packets a host sends after DownChar or DownImage was acknowledged. Every
 * packet but the last must be exactly the configured packet size, the last at most
 * that, and together exactly what the buffer holds. The manuals define no answer
 * after the data, so a transfer that breaks these rules is simply not taken: the
 * buffer keeps nothing and the host learns of it at its next instruction.
 */
export class DataReception {
  readonly #data: Uint8Array;
  #received = 0;

  constructor(
    readonly expectedLength: number,
    private readonly packetSize: number,
  ) {
    this.#data = new Uint8Array(expectedLength);
  }

  /** Feeds one data or end-of-data packet. */
  accept(frame: R30xFrame): ReceptionProgress {
    const last = frame.pid === Pid.EndData;
    const length = frame.payload.length;
    const sizeOk = last ? length <= this.packetSize : length === this.packetSize;
    if (!sizeOk || this.#received + length > this.expectedLength) return "failed";
    this.#data.set(frame.payload, this.#received);
    this.#received += length;
    if (!last) return "more";
    return this.#received === this.expectedLength ? "complete" : "failed";
  }

  get data(): Uint8Array {
    return this.#data;
  }
}

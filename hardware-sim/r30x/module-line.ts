import { LinePacer } from "./line-pacer.js";
import type { SimulatedR30xModule } from "./simulated-module.js";

export interface ModuleLineOptions {
  /**
   * Carry bytes no faster than the module's baud rate allows, both ways (a 256x288
   * image at 57600 baud takes about 7 s). Off delivers at once, for fast tests.
   */
  readonly lineTiming?: boolean;
}

/**
 * The serial line between a host and a simulated module, as a transport (TCP, a
 * pseudo-terminal) needs it: paced at the module's current speed, and powering the
 * module up whenever a host comes onto the line, as plugging in a USB serial adapter
 * that feeds the module would.
 */
export class ModuleLine {
  readonly #toHost: LinePacer | undefined;
  readonly #toModule: LinePacer | undefined;
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  readonly #detach: () => void;

  constructor(
    readonly module: SimulatedR30xModule,
    options: ModuleLineOptions = {},
  ) {
    if (options.lineTiming === true) {
      this.#toHost = new LinePacer((bytes) => {
        this.#emit(bytes);
      });
      this.#toModule = new LinePacer((bytes) => {
        module.receive(bytes);
      });
    }
    this.#detach = module.onTransmit((bytes) => {
      if (this.#toHost) this.#toHost.write(bytes, module.baud);
      else this.#emit(bytes);
    });
  }

  /** Bytes the host wrote. */
  fromHost(chunk: Uint8Array): void {
    if (this.#toModule) this.#toModule.write(chunk, this.module.baud);
    else this.module.receive(chunk);
  }

  /** Returns an unsubscribe function. */
  onToHost(listener: (bytes: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A host came onto the line: the module powers up (an R503 then sends 0x55). */
  connect(): void {
    this.disconnect();
    this.module.resetLine();
    this.module.powerOn();
  }

  /** The line is cut: whatever was still crossing it is lost. */
  disconnect(): void {
    this.#toHost?.clear();
    this.#toModule?.clear();
  }

  close(): void {
    this.disconnect();
    this.#detach();
    this.#listeners.clear();
  }

  #emit(bytes: Uint8Array): void {
    for (const listener of [...this.#listeners]) listener(bytes);
  }
}

import type { ByteLink } from "../../drivers/link/byte-link.js";
import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import type { SimulatedR30xModule } from "../../hardware-sim/r30x/simulated-module.js";

/**
 * A serial cable in memory that honours baud rates, which a pseudo-terminal cannot:
 * bytes pass intact only while host and module run at the same rate (a mismatch
 * turns them into the framing-error garbage a real UART receives), and above
 * `reliableUpTo` the cable flips a bit in every `errorEvery`-th byte.
 */
export class BaudWire {
  /** The rate of every link the host opened, in order. */
  readonly opens: number[] = [];
  /** Bytes carried above the reliable rate, across every link: errors fall in new places on each try. */
  #carried = 0;

  constructor(
    readonly module: SimulatedR30xModule,
    private readonly options: { readonly reliableUpTo?: number; readonly errorEvery?: number } = {},
  ) {}

  readonly openLink = (_path: string, baud: number): Promise<ByteLink> => {
    this.opens.push(baud);
    const { host, device } = createMemoryLinkPair();
    const carry = (bytes: Uint8Array): Uint8Array => {
      if (baud !== this.module.baud) return garble(bytes);
      const { reliableUpTo = Infinity, errorEvery = 40 } = this.options;
      if (baud <= reliableUpTo) return bytes;
      const out = bytes.slice();
      for (let i = 0; i < out.length; i++)
        if (++this.#carried % errorEvery === 0) out[i] = (out[i] ?? 0) ^ 0x10;
      return out;
    };
    const detachers = [
      device.onData((chunk) => {
        this.module.receive(carry(chunk));
      }),
      this.module.onTransmit((bytes) => {
        device.write(carry(bytes)).catch(() => undefined);
      }),
    ];
    host.onClose(() => {
      for (const detach of detachers) detach();
    });
    return Promise.resolve(host);
  };
}

/** What a UART at the wrong rate makes of a byte stream: fewer bytes, none of them right. */
function garble(bytes: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) if (i % 3 !== 2) out.push(((bytes[i] ?? 0) * 7) ^ 0x5a);
  return Uint8Array.from(out, (b) => b & 0xff);
}

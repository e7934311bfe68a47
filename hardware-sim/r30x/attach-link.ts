import type { ByteLink } from "../../drivers/link/byte-link.js";
import type { SimulatedR30xModule } from "./simulated-module.js";

/**
 * Wires a module to the device end of a link (an in-memory pair in tests and
 * benchmarks). Returns a function that detaches it again.
 */
export function attachModuleToLink(module: SimulatedR30xModule, link: ByteLink): () => void {
  const detachers = [
    link.onData((chunk) => {
      module.receive(chunk);
    }),
    module.onTransmit((bytes) => {
      // A closed link loses the bytes, as a cut wire would.
      link.write(bytes).catch(() => undefined);
    }),
  ];
  return () => {
    for (const detach of detachers) detach();
  };
}

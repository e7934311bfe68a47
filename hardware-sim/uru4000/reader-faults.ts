/** The transfers a fault can hit. */
export type TransferKind = "control" | "interrupt" | "bulk";

/**
 * What can go wrong with a simulated U.are.U reader:
 * - disconnect: unplugged now (and plugged back after `durationMs`, when given);
 * - stall: the next transfer of `on` stalls, and so does every one after it until the
 *   host clears the halt;
 * - short-transfer: the next transfer of `on` delivers only `bytes` bytes;
 * - timeout: the next `times` transfers of `on` (default any) time out;
 * - unresponsive: every transfer times out, until a USB reset (or for good, with `survivesReset`);
 * - device-died: the 0800 interrupt, then an empty image transfer.
 */
export type ReaderFault =
  | { readonly kind: "disconnect"; readonly durationMs?: number }
  | { readonly kind: "stall"; readonly on: TransferKind }
  | { readonly kind: "short-transfer"; readonly on: TransferKind; readonly bytes: number }
  | { readonly kind: "timeout"; readonly on?: TransferKind; readonly times?: number }
  | { readonly kind: "unresponsive"; readonly survivesReset?: boolean }
  | { readonly kind: "device-died" };

/** Faults waiting for the transfer they hit; consumed as they fire. */
export class FaultBook {
  #timeouts: { on: TransferKind | undefined; left: number }[] = [];
  #shorts: { on: TransferKind; bytes: number }[] = [];
  readonly #halted = new Set<TransferKind>();
  #unresponsive: { survivesReset: boolean } | undefined;

  add(fault: Exclude<ReaderFault, { kind: "disconnect" } | { kind: "device-died" }>): void {
    switch (fault.kind) {
      case "stall":
        this.#halted.add(fault.on);
        break;
      case "short-transfer":
        this.#shorts.push({ on: fault.on, bytes: fault.bytes });
        break;
      case "timeout":
        this.#timeouts.push({ on: fault.on, left: fault.times ?? 1 });
        break;
      case "unresponsive":
        this.#unresponsive = { survivesReset: fault.survivesReset ?? false };
        break;
    }
  }

  /** Whether this transfer times out (consuming a counted timeout). */
  timesOut(kind: TransferKind): boolean {
    if (this.#unresponsive) return true;
    const entry = this.#timeouts.find((t) => t.on === undefined || t.on === kind);
    if (!entry) return false;
    entry.left--;
    this.#timeouts = this.#timeouts.filter((t) => t.left > 0);
    return true;
  }

  stalls(kind: TransferKind): boolean {
    return this.#halted.has(kind);
  }

  clearHalt(kind: TransferKind): void {
    this.#halted.delete(kind);
  }

  /** How many bytes this transfer is cut to, if a short-transfer fault is waiting for it. */
  shortens(kind: TransferKind): number | undefined {
    const index = this.#shorts.findIndex((s) => s.on === kind);
    if (index < 0) return undefined;
    const [entry] = this.#shorts.splice(index, 1);
    return entry?.bytes;
  }

  /** A USB reset: clears halts and a passing hang; a hard fault stays. */
  reset(): void {
    this.#halted.clear();
    this.#timeouts = [];
    if (this.#unresponsive && !this.#unresponsive.survivesReset) this.#unresponsive = undefined;
  }
}

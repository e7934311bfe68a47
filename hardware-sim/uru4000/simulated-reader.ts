import {
  BULK_ENDPOINT,
  DEVICE_INFO_LENGTH,
  HardwareStatusBit,
  INTERRUPT_ENDPOINT,
  INTERRUPT_LENGTH,
  InterruptCode,
  Mode,
  Register,
} from "../../drivers/uru4000/constants.js";
import { URU4000_MODELS, type Uru4000Model } from "../../drivers/uru4000/models.js";
import {
  UsbTransferError,
  type OpenUsbTransport,
  type TransferOptions,
  type UsbDeviceIdentity,
  type WatchUsbArrivals,
} from "../../drivers/uru4000/usb-transport.js";
import { renderPrint } from "../prints/render-print.js";
import { blockLayout, encodeFrame } from "./frame-encoder.js";
import { FaultBook, type ReaderFault, type TransferKind } from "./reader-faults.js";
import { SimulatedTransport } from "./simulated-transport.js";

export interface SimulatedReaderOptions {
  readonly model: Uru4000Model;
  readonly serialNumber?: string | undefined;
  /** The simulated person and finger whose prints appear (renderPrint seed and position). */
  readonly person?: number | undefined;
  readonly position?: number | undefined;
  /** Overrides the synthetic print: the upright, dark-ridge 384x290 image of placement `impression`. */
  readonly fingerImage?: ((impression: number) => Uint8Array) | undefined;
  /** Whether frames are obfuscated; by default as the model does (4000B and 4500 yes, 4000 no). */
  readonly obfuscated?: boolean | undefined;
  /** Hardware status at plug-in: 0x80 low power (default), 0x84 the confused state. */
  readonly initialHardwareStatus?: number | undefined;
}

type Waiter = () => void;

/**
 * The device side of a U.are.U reader, behind the driver's transport seam: registers,
 * power states, modes, interrupt reports and image frames from the synthetic print
 * generator, with faults injected on demand.
 */
export class SimulatedUru4000 {
  readonly identity: UsbDeviceIdentity;
  readonly #options: SimulatedReaderOptions;
  readonly #faults = new FaultBook();
  readonly #registers = new Uint8Array(0x100);
  readonly #interrupts: number[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #detachListeners = new Set<() => void>();
  readonly #arrivalListeners = new Set<() => void>();
  readonly #images = new Map<number, Uint8Array>();
  #plugged = true;
  #generation = 0;
  #fingerDown = false;
  #impression = -1;
  #captures = 0;
  #deathPending = false;
  /** Transports opened and not yet closed: a leak shows here. */
  openTransports = 0;
  resets = 0;

  constructor(options: SimulatedReaderOptions) {
    this.#options = options;
    const ids = URU4000_MODELS[options.model].usbIds[0] ?? {
      vendorId: 0x05_ba,
      productId: 0x00_0a,
    };
    this.identity = { ...ids, serialNumber: options.serialNumber, location: "1-1" };
    this.#powerOff();
  }

  /** For the driver: opens this reader if it is plugged in and matches. */
  readonly openTransport: OpenUsbTransport = (match, signal) => {
    if (signal?.aborted) {
      return Promise.reject(
        new UsbTransferError("aborted", "opening cancelled", { cause: signal.reason }),
      );
    }
    const { vendorId, productId, serialNumber } = this.identity;
    const matches =
      match.vendorId === vendorId &&
      match.productId === productId &&
      (match.serialNumber === undefined || match.serialNumber === serialNumber);
    if (!this.#plugged || !matches) {
      return Promise.reject(
        new UsbTransferError("disconnected", "no such USB device is plugged in"),
      );
    }
    this.openTransports++;
    return Promise.resolve(new SimulatedTransport(this, this.#generation));
  };

  /** For the driver: hot-plug attach events, one per plugIn(). */
  readonly watchArrivals: WatchUsbArrivals = (match, listener) => {
    if (match.vendorId !== this.identity.vendorId || match.productId !== this.identity.productId) {
      return () => undefined;
    }
    this.#arrivalListeners.add(listener);
    return () => this.#arrivalListeners.delete(listener);
  };

  get mode(): number {
    return this.#registers[Register.Mode] ?? 0;
  }

  get plugged(): boolean {
    return this.#plugged;
  }

  get captures(): number {
    return this.#captures;
  }

  placeFinger(): void {
    if (this.#fingerDown) return;
    this.#fingerDown = true;
    this.#impression++;
    if (this.mode === Mode.AwaitFingerOn) this.#raise(InterruptCode.FingerOn);
  }

  liftFinger(): void {
    if (!this.#fingerDown) return;
    this.#fingerDown = false;
    if (this.mode === Mode.AwaitFingerOff) this.#raise(InterruptCode.FingerOff);
  }

  inject(fault: ReaderFault): void {
    if (fault.kind === "disconnect") {
      this.unplug();
      if (fault.durationMs !== undefined) setTimeout(() => this.plugIn(), fault.durationMs).unref();
    } else if (fault.kind === "device-died") {
      this.#deathPending = true;
      this.#raise(InterruptCode.Death);
    } else {
      this.#faults.add(fault);
    }
  }

  unplug(): void {
    if (!this.#plugged) return;
    this.#plugged = false;
    this.#generation++;
    for (const listener of [...this.#detachListeners]) listener();
    this.#detachListeners.clear();
    this.#wake();
  }

  /** Plugs the reader back in, as the same device (same serial number), unpowered. */
  plugIn(): void {
    if (this.#plugged) return;
    this.#plugged = true;
    this.#powerOff();
    for (const listener of [...this.#arrivalListeners]) listener();
  }

  // ---- the device side of each transfer, called by SimulatedTransport ----

  onDetach(generation: number, listener: () => void): () => void {
    if (generation !== this.#generation) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.#detachListeners.add(listener);
    return () => this.#detachListeners.delete(listener);
  }

  controlIn(generation: number, register: number, length: number): Uint8Array {
    this.#admit(generation, "control");
    const data = this.#registers.slice(register, register + length);
    return this.#shorten("control", data);
  }

  controlOut(generation: number, register: number, data: Uint8Array): number {
    this.#admit(generation, "control");
    const cut = this.#faults.shortens("control");
    const written = data.subarray(0, cut ?? data.length);
    const statusBefore = this.#registers[Register.HardwareStatus] ?? 0;
    this.#registers.set(written, register);
    if (
      register <= Register.HardwareStatus &&
      register + written.length > Register.HardwareStatus
    ) {
      this.#onHardwareStatus(statusBefore, written[Register.HardwareStatus - register] ?? 0);
    }
    if (register === Register.Mode && written.length > 0) this.#onMode(written[0] ?? 0);
    if (register === Register.ScrambleDataIndex && written.length === 5)
      this.#onKeyRequest(written);
    return written.length;
  }

  async interruptIn(
    generation: number,
    length: number,
    options: TransferOptions,
  ): Promise<Uint8Array> {
    await this.#waitFor(generation, "interrupt", options, () => this.#interrupts.length > 0);
    const code = this.#interrupts.shift() ?? 0;
    const report = new Uint8Array(Math.max(length, INTERRUPT_LENGTH));
    report[0] = code >> 8;
    report[1] = code & 0xff;
    return this.#shorten("interrupt", report.subarray(0, INTERRUPT_LENGTH));
  }

  async bulkIn(generation: number, length: number, options: TransferOptions): Promise<Uint8Array> {
    // In capture mode the reader scans frame after frame for as long as the host reads.
    await this.#waitFor(generation, "bulk", options, () => this.mode === Mode.Capture);
    this.#captures++;
    const frame = this.#deathPending ? new Uint8Array(0) : this.#encodeCapture();
    this.#deathPending = false;
    if (frame.length > length) {
      throw new UsbTransferError(
        "overflow",
        `bulk read: the device sent ${frame.length} bytes into ${length}`,
      );
    }
    return this.#shorten("bulk", frame);
  }

  clearHalt(generation: number, endpoint: number): void {
    this.#checkPresent(generation);
    this.#faults.clearHalt(
      endpoint === INTERRUPT_ENDPOINT
        ? "interrupt"
        : endpoint === BULK_ENDPOINT
          ? "bulk"
          : "control",
    );
  }

  reset(generation: number): void {
    this.#checkPresent(generation);
    this.resets++;
    this.#faults.reset();
    this.#powerOff();
  }

  transportClosed(): void {
    this.openTransports--;
  }

  // ---- device behaviour ----

  #powerOff(): void {
    this.#registers.fill(0);
    this.#registers[Register.HardwareStatus] =
      this.#options.initialHardwareStatus ?? HardwareStatusBit.LowPower;
    this.#registers.set(
      [0, 0, 0, 0, 0x01, 0x23, 0, 0, 0, 0, 0x04, 0x56, 0, 0, 0, 0].slice(0, DEVICE_INFO_LENGTH),
      Register.DeviceInfo,
    );
    this.#interrupts.length = 0;
    this.#deathPending = false;
  }

  #onHardwareStatus(before: number, value: number): void {
    if (value & HardwareStatusBit.LowPower) {
      this.#registers[Register.HardwareStatus] = value;
      return;
    }
    // Leaving low power (or the confused state) wakes the scanner, which says so once.
    this.#registers[Register.HardwareStatus] =
      (value & 0x0f & ~HardwareStatusBit.Confused) | HardwareStatusBit.Awake;
    if (before & HardwareStatusBit.LowPower) this.#raise(InterruptCode.ScanPowerOn);
  }

  #onMode(mode: number): void {
    if (mode === Mode.AwaitFingerOn && this.#fingerDown) this.#raise(InterruptCode.FingerOn);
    if (mode === Mode.AwaitFingerOff && !this.#fingerDown) this.#raise(InterruptCode.FingerOff);
    if (mode === Mode.Capture) this.#wake();
  }

  #onKeyRequest(index: Uint8Array): void {
    const seed = new DataView(index.buffer, index.byteOffset, 5).getUint32(1, true);
    const masked = (this.#keyFor(index[0] ?? 0) ^ seed) >>> 0;
    new DataView(this.#registers.buffer).setUint32(Register.ScrambleDataKey, masked, true);
  }

  /** The reader's secret key number n (any fixed function will do for the host). */
  #keyFor(keyNumber: number): number {
    let x = (0x9e_37_79_b9 ^ Math.imul(keyNumber + 1, 0x85_eb_ca_6b)) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2_b2_ae_35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  }

  #encodeCapture(): Uint8Array {
    const profile = URU4000_MODELS[this.#options.model];
    const obfuscated = this.#options.obfuscated ?? profile.obfuscation === "always";
    return encodeFrame(this.#image(Math.max(0, this.#impression)), {
      blocks: blockLayout(obfuscated),
      rotated: profile.rotated,
      keyNumber: this.#captures & 0xff,
      keyFor: (n) => this.#keyFor(n),
    });
  }

  #image(impression: number): Uint8Array {
    let image = this.#images.get(impression);
    if (!image) {
      image =
        this.#options.fingerImage?.(impression) ??
        renderPrint({
          seed: this.#options.person ?? 1,
          position: this.#options.position ?? 2,
          impression,
          sensor: "usb-optical",
        }).pixels;
      this.#images.set(impression, image);
    }
    return image;
  }

  #raise(code: number): void {
    this.#interrupts.push(code);
    this.#wake();
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }

  #checkPresent(generation: number): void {
    if (!this.#plugged || generation !== this.#generation) {
      throw new UsbTransferError("disconnected", "device gone (LIBUSB_TRANSFER_NO_DEVICE)");
    }
  }

  #admit(generation: number, kind: TransferKind): void {
    this.#checkPresent(generation);
    if (this.#faults.timesOut(kind))
      throw new UsbTransferError("timeout", `${kind} transfer timed out`);
    if (this.#faults.stalls(kind)) throw new UsbTransferError("stall", `${kind} endpoint stalled`);
  }

  #shorten(kind: TransferKind, data: Uint8Array): Uint8Array {
    const cut = this.#faults.shortens(kind);
    return cut === undefined ? data : data.slice(0, cut);
  }

  /** Waits until `ready`, the transfer's timeout, an abort or an unplug. */
  #waitFor(
    generation: number,
    kind: TransferKind,
    options: TransferOptions,
    ready: () => boolean,
  ): Promise<void> {
    this.#admit(generation, kind);
    return new Promise((resolve, reject) => {
      const finish = (error?: Error): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        options.signal?.removeEventListener("abort", onAbort);
        if (error) reject(error);
        else resolve();
      };
      const check = (): void => {
        if (!this.#plugged || generation !== this.#generation) {
          finish(new UsbTransferError("disconnected", "device gone (LIBUSB_TRANSFER_NO_DEVICE)"));
        } else if (ready()) finish();
      };
      const onAbort = (): void =>
        finish(new UsbTransferError("aborted", `${kind} transfer cancelled`));
      const timer = setTimeout(
        () =>
          finish(
            new UsbTransferError(
              "timeout",
              `${kind} transfer timed out after ${options.timeoutMs} ms`,
            ),
          ),
        options.timeoutMs,
      );
      this.#waiters.add(check);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      if (options.signal?.aborted) onAbort();
      else check();
    });
  }
}

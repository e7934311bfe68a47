import { InEndpoint, usb, type Device, type Interface, type LibUSBException } from "usb";
import {
  BULK_ENDPOINT,
  INTERRUPT_ENDPOINT,
  REGISTER_REQUEST,
  REQUEST_TYPE_READ,
  REQUEST_TYPE_WRITE,
} from "./constants.js";
import { formatUsbId } from "./models.js";
import {
  UsbTransferError,
  type OpenUsbTransport,
  type TransferOptions,
  type UsbDeviceIdentity,
  type UsbFailureKind,
  type UsbMatch,
  type UsbTransport,
  type WatchUsbArrivals,
} from "./usb-transport.js";

/** Interface class, subclass and protocol of the reader's one vendor interface. */
const VENDOR_SPECIFIC = 0xff;
const STRING_DESCRIPTOR_TIMEOUT_MS = 1_000;

/**
 * Opens a U.are.U reader through libusb (the `usb` package's bundled copy): finds it by
 * vendor and product id (and serial number, when configured), claims its vendor
 * interface, and checks its endpoints are what the protocol expects.
 */
export const openLibusbTransport: OpenUsbTransport = async (match, signal) => {
  signal?.throwIfAborted();
  const candidates = usb
    .getDeviceList()
    .filter(
      (device) =>
        device.deviceDescriptor.idVendor === match.vendorId &&
        device.deviceDescriptor.idProduct === match.productId,
    );
  const wanted = formatUsbId(match.vendorId, match.productId);
  if (candidates.length === 0) {
    throw new UsbTransferError("disconnected", `no USB device ${wanted} is plugged in`);
  }
  for (const device of candidates) {
    const transport = await openCandidate(device, match);
    if (transport) return transport;
  }
  throw new UsbTransferError(
    "disconnected",
    `no USB device ${wanted} with serial number ${match.serialNumber ?? "(any)"} is plugged in`,
  );
};

/** Hot-plug attach events from libusb for devices with `match`'s ids. */
export const watchLibusbArrivals: WatchUsbArrivals = (match, listener) => {
  const onAttach = (device: Device): void => {
    const { idVendor, idProduct } = device.deviceDescriptor;
    if (idVendor === match.vendorId && idProduct === match.productId) listener();
  };
  usb.on("attach", onAttach);
  return () => usb.removeListener("attach", onAttach);
};

async function openCandidate(device: Device, match: UsbMatch): Promise<UsbTransport | undefined> {
  try {
    device.open();
  } catch (error) {
    throw mapError(error, `opening USB device ${locationOf(device)}`);
  }
  try {
    const serialNumber = await readSerialNumber(device);
    if (match.serialNumber !== undefined && serialNumber !== match.serialNumber) {
      device.close();
      return undefined;
    }
    const iface = claimVendorInterface(device);
    return new LibusbTransport(device, iface, {
      vendorId: match.vendorId,
      productId: match.productId,
      serialNumber,
      location: locationOf(device),
    });
  } catch (error) {
    device.close();
    throw error;
  }
}

function readSerialNumber(device: Device): Promise<string | undefined> {
  const index = device.deviceDescriptor.iSerialNumber;
  if (index === 0) return Promise.resolve(undefined);
  device.timeout = STRING_DESCRIPTOR_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    device.getStringDescriptor(index, (error, value) => {
      if (error) reject(mapError(error, `reading the serial number of ${locationOf(device)}`));
      else resolve(value);
    });
  });
}

function claimVendorInterface(device: Device): Interface {
  const iface = (device.interfaces ?? []).find(
    (candidate) =>
      candidate.descriptor.bInterfaceClass === VENDOR_SPECIFIC &&
      candidate.descriptor.bInterfaceSubClass === VENDOR_SPECIFIC &&
      candidate.descriptor.bInterfaceProtocol === VENDOR_SPECIFIC,
  );
  if (!iface) {
    throw new UsbTransferError(
      "io",
      `USB device ${locationOf(device)} has no vendor-specific interface`,
    );
  }
  const interrupt = iface.endpoint(INTERRUPT_ENDPOINT);
  const bulk = iface.endpoint(BULK_ENDPOINT);
  if (
    interrupt?.transferType !== usb.LIBUSB_TRANSFER_TYPE_INTERRUPT ||
    bulk?.transferType !== usb.LIBUSB_TRANSFER_TYPE_BULK
  ) {
    throw new UsbTransferError(
      "io",
      `USB device ${locationOf(device)} does not have the reader's interrupt 0x81 and bulk 0x82 endpoints`,
    );
  }
  detachKernelDriver(iface);
  try {
    iface.claim();
  } catch (error) {
    throw mapError(error, `claiming the interface of ${locationOf(device)}`);
  }
  return iface;
}

/**
 * No kernel driver binds these readers, but a stray one would keep the claim from
 * succeeding. Where the question cannot be asked (USBDEVFS_GETDRIVER unsupported, as
 * under umockdev's pcap replay), the claim itself says whether the interface is free.
 */
function detachKernelDriver(iface: Interface): void {
  let active: boolean;
  try {
    active = iface.isKernelDriverActive();
  } catch {
    return;
  }
  if (active) iface.detachKernelDriver();
}

class LibusbTransport implements UsbTransport {
  readonly #device: Device;
  readonly #iface: Interface;
  readonly #detachListeners = new Set<() => void>();
  readonly #onHotplugDetach = (device: Device): void => {
    if (
      device.busNumber !== this.#device.busNumber ||
      device.deviceAddress !== this.#device.deviceAddress
    )
      return;
    this.#detached = true;
    for (const listener of this.#detachListeners) listener();
    this.#detachListeners.clear();
  };
  #closed = false;
  #detached = false;

  constructor(
    device: Device,
    iface: Interface,
    readonly identity: UsbDeviceIdentity,
  ) {
    this.#device = device;
    this.#iface = iface;
    usb.on("detach", this.#onHotplugDetach);
  }

  controlIn(register: number, length: number, options: TransferOptions): Promise<Uint8Array> {
    return this.#control<Uint8Array>(
      `reading ${length} registers at 0x${register.toString(16)}`,
      options,
      (done) => {
        this.#device.controlTransfer(
          REQUEST_TYPE_READ,
          REGISTER_REQUEST,
          register,
          0,
          length,
          (error, data) =>
            done(error, data instanceof Buffer ? new Uint8Array(data) : new Uint8Array(0)),
        );
      },
    );
  }

  async controlOut(register: number, data: Uint8Array, options: TransferOptions): Promise<void> {
    const written = await this.#control<number>(
      `writing ${data.length} registers at 0x${register.toString(16)}`,
      options,
      (done) => {
        this.#device.controlTransfer(
          REQUEST_TYPE_WRITE,
          REGISTER_REQUEST,
          register,
          0,
          Buffer.from(data),
          (error, count) => done(error, typeof count === "number" ? count : 0),
        );
      },
    );
    if (written !== data.length) {
      throw new UsbTransferError(
        "io",
        `short register write at 0x${register.toString(16)}: ${written} of ${data.length} bytes`,
      );
    }
  }

  interruptIn(length: number, options: TransferOptions): Promise<Uint8Array> {
    return this.#transferIn(INTERRUPT_ENDPOINT, length, options);
  }

  bulkIn(length: number, options: TransferOptions): Promise<Uint8Array> {
    return this.#transferIn(BULK_ENDPOINT, length, options);
  }

  clearHalt(endpoint: number, options: TransferOptions): Promise<void> {
    const target = this.#endpoint(endpoint);
    return this.#control<undefined>(
      `clearing the halt on endpoint 0x${endpoint.toString(16)}`,
      options,
      (done) => {
        target.clearHalt((error) => done(error, undefined));
      },
    );
  }

  reset(options: TransferOptions): Promise<void> {
    return this.#control<undefined>("resetting the USB port", options, (done) => {
      this.#device.reset((error) => done(error, undefined));
    });
  }

  onDetach(listener: () => void): () => void {
    if (this.#detached) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.#detachListeners.add(listener);
    return () => this.#detachListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    usb.removeListener("detach", this.#onHotplugDetach);
    this.#detachListeners.clear();
    await new Promise<void>((resolve) => {
      // A detached device cannot be released; closing the handle is all that is left.
      this.#iface.release(true, () => resolve());
    });
    try {
      this.#device.close();
    } catch {
      // Already gone with the device; the handle is freed either way.
    }
  }

  #endpoint(address: number): InEndpoint {
    const endpoint = this.#iface.endpoint(address);
    if (!(endpoint instanceof InEndpoint)) {
      throw new UsbTransferError("io", `endpoint 0x${address.toString(16)} is not an IN endpoint`);
    }
    return endpoint;
  }

  /**
   * One IN transfer, cancelled when `signal` fires. Only one transfer is ever in flight,
   * which is also what umockdev's ioctl replay requires.
   */
  #transferIn(address: number, length: number, options: TransferOptions): Promise<Uint8Array> {
    this.#checkOpen();
    const endpoint = this.#endpoint(address);
    const what = `${address === INTERRUPT_ENDPOINT ? "interrupt" : "bulk"} read of ${length} bytes`;
    const { signal } = options;
    throwIfAborted(signal, what);
    return new Promise((resolve, reject) => {
      const transfer = endpoint.makeTransfer(options.timeoutMs, (error, buffer, actual) => {
        signal?.removeEventListener("abort", onAbort);
        if (signal?.aborted)
          reject(new UsbTransferError("aborted", `${what} cancelled`, { cause: signal.reason }));
        else if (error) reject(mapError(error, what));
        else resolve(new Uint8Array(buffer.buffer, buffer.byteOffset, actual).slice());
      });
      const onAbort = (): void => {
        try {
          transfer.cancel();
        } catch {
          // Finished in the meantime; its callback reports the outcome.
        }
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        transfer.submit(Buffer.alloc(length));
      } catch (error) {
        signal?.removeEventListener("abort", onAbort);
        reject(mapError(error, what));
      }
    });
  }

  /**
   * A control-pipe operation. It is never abandoned half-way (its timeout is short), so a
   * second transfer never overlaps it; an abort is reported once it has finished.
   */
  async #control<T>(
    what: string,
    options: TransferOptions,
    start: (done: (error: LibUSBException | undefined, value: T) => void) => void,
  ): Promise<T> {
    this.#checkOpen();
    throwIfAborted(options.signal, what);
    this.#device.timeout = options.timeoutMs;
    const value = await new Promise<T>((resolve, reject) => {
      try {
        start((error, result) => (error ? reject(mapError(error, what)) : resolve(result)));
      } catch (error) {
        reject(mapError(error, what));
      }
    });
    if (options.signal?.aborted) {
      throw new UsbTransferError("aborted", `${what} cancelled`, { cause: options.signal.reason });
    }
    return value;
  }

  #checkOpen(): void {
    if (this.#closed) throw new UsbTransferError("disconnected", "the USB device has been closed");
    if (this.#detached) throw new UsbTransferError("disconnected", "the USB device was unplugged");
  }
}

function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted)
    throw new UsbTransferError("aborted", `${what} cancelled`, { cause: signal.reason });
}

function locationOf(device: Device): string {
  const ports = device.portNumbers.length
    ? device.portNumbers.join(".")
    : String(device.deviceAddress);
  return `${device.busNumber}-${ports}`;
}

/** libusb's transfer statuses and error codes, in the driver's terms. */
function mapError(error: unknown, what: string): UsbTransferError {
  if (error instanceof UsbTransferError) return error;
  const errno = (error as Partial<LibUSBException> | undefined)?.errno;
  const detail = error instanceof Error ? error.message : String(error);
  const kind = failureKind(errno);
  return new UsbTransferError(kind, `${what}: ${describeKind(kind, detail)}`, { cause: error });
}

const FAILURE_KINDS = new Map<number, UsbFailureKind>([
  [usb.LIBUSB_TRANSFER_TIMED_OUT, "timeout"],
  [usb.LIBUSB_ERROR_TIMEOUT, "timeout"],
  [usb.LIBUSB_TRANSFER_STALL, "stall"],
  [usb.LIBUSB_ERROR_PIPE, "stall"],
  [usb.LIBUSB_TRANSFER_NO_DEVICE, "disconnected"],
  [usb.LIBUSB_ERROR_NO_DEVICE, "disconnected"],
  [usb.LIBUSB_ERROR_NOT_FOUND, "disconnected"],
  [usb.LIBUSB_TRANSFER_OVERFLOW, "overflow"],
  [usb.LIBUSB_ERROR_OVERFLOW, "overflow"],
  [usb.LIBUSB_TRANSFER_CANCELLED, "aborted"],
]);

function failureKind(errno: number | undefined): UsbFailureKind {
  return (errno === undefined ? undefined : FAILURE_KINDS.get(errno)) ?? "io";
}

function describeKind(kind: UsbFailureKind, detail: string): string {
  switch (kind) {
    case "timeout":
      return `timed out (${detail})`;
    case "stall":
      return `endpoint stalled (${detail})`;
    case "disconnected":
      return `device gone (${detail})`;
    case "overflow":
      return `the device sent more than was asked for (${detail})`;
    case "aborted":
    case "io":
      return detail;
  }
}

/**
 * The seam between the U.are.U protocol and USB: the three kinds of transfer the reader
 * uses, plus the recovery calls. libusb implements it for real readers, the simulator
 * in memory; the protocol code above it is the same for both.
 */

/** What a transfer's failure was, in the terms the driver acts on. */
export type UsbFailureKind =
  /** The transfer's own timeout ran out. */
  | "timeout"
  /** The endpoint answered with a STALL handshake; a clear-halt recovers it. */
  | "stall"
  /** The device is gone (unplugged, or reset away). */
  | "disconnected"
  /** More data arrived than the transfer asked for. */
  | "overflow"
  /** The caller's signal fired. */
  | "aborted"
  /** Anything else from the bus. */
  | "io";

export class UsbTransferError extends Error {
  override readonly name = "UsbTransferError";
  constructor(
    readonly kind: UsbFailureKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isUsbTransferError(
  error: unknown,
  kind?: UsbFailureKind,
): error is UsbTransferError {
  return error instanceof UsbTransferError && (kind === undefined || error.kind === kind);
}

export interface TransferOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** Which reader a transport is connected to. */
export interface UsbDeviceIdentity {
  readonly vendorId: number;
  readonly productId: number;
  /** The iSerialNumber string, where the reader has one. */
  readonly serialNumber?: string | undefined;
  /** "bus-port.port", stable while the reader stays in the same socket. */
  readonly location: string;
}

export interface UsbTransport {
  readonly identity: UsbDeviceIdentity;
  /** Vendor control transfer, device to host: `length` bytes from register `register` on. */
  controlIn(register: number, length: number, options: TransferOptions): Promise<Uint8Array>;
  /** Vendor control transfer, host to device: `data` into registers from `register` on. */
  controlOut(register: number, data: Uint8Array, options: TransferOptions): Promise<void>;
  /** One report from the interrupt endpoint (up to `length` bytes). */
  interruptIn(length: number, options: TransferOptions): Promise<Uint8Array>;
  /** One transfer from the bulk endpoint (up to `length` bytes). */
  bulkIn(length: number, options: TransferOptions): Promise<Uint8Array>;
  /** Clears a halted endpoint after a stall. */
  clearHalt(endpoint: number, options: TransferOptions): Promise<void>;
  /** USB port reset; the reader comes back unpowered and must be powered up again. */
  reset(options: TransferOptions): Promise<void>;
  /** Called once if the device goes away on its own; returns an unsubscribe function. */
  onDetach(listener: () => void): () => void;
  /** Releases the interface and the device handle; safe to call more than once. */
  close(): Promise<void>;
}

export interface UsbMatch {
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | undefined;
}

/**
 * Finds and opens the reader `match` names. Rejects with kind "disconnected" when no
 * such reader is plugged in.
 */
export type OpenUsbTransport = (match: UsbMatch, signal?: AbortSignal) => Promise<UsbTransport>;

/**
 * Calls `listener` whenever a device with `match`'s vendor and product id is plugged in
 * (hot-plug attach); returns an unsubscribe function.
 */
export type WatchUsbArrivals = (match: UsbMatch, listener: () => void) => () => void;

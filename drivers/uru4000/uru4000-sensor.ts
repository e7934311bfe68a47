import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { SensorConfig } from "../../agent/config/schema.js";
import {
  SensorError,
  type CapturedImage,
  type FingerprintSensor,
  type IndicatorState,
  type SensorDescription,
  type WaitOptions,
} from "../sensor.js";
import {
  IMAGE_HEIGHT,
  IMAGE_WIDTH,
  InterruptCode,
  Mode,
  RESOLUTION_PPI,
  Timeouts,
} from "./constants.js";
import { formatUsbId, URU4000_MODELS, type Uru4000Profile } from "./models.js";
import { ReaderSession, type DeviceVersions, type SessionLogger } from "./reader-session.js";
import { ReaderFaultyError, toSensorError } from "./transfer-errors.js";
import {
  isUsbTransferError,
  type OpenUsbTransport,
  type UsbTransport,
  type WatchUsbArrivals,
} from "./usb-transport.js";

/** The configuration of a sensor of kind "usb". */
export type UsbSensorConfig = Extract<SensorConfig, { kind: "usb" }>;

export interface Uru4000SensorOptions {
  /** Replaces libusb, e.g. with the simulator's transport. */
  readonly openTransport?: OpenUsbTransport | undefined;
  readonly logger?: (SessionLogger & { info(obj: object, msg: string): void }) | undefined;
  /** Replaces libusb's hot-plug attach events, e.g. with the simulator's. */
  readonly watchArrivals?: WatchUsbArrivals | undefined;
  /** Seeds for the obfuscation key requests; random unless a replay needs them fixed. */
  readonly seedSource?: (() => number) | undefined;
}

interface Session {
  readonly reader: ReaderSession;
  readonly description: SensorDescription;
  stopWatching: () => void;
  /** performance.now() at the last finger-on event, for the capture's duration. */
  fingerOnAt: number | undefined;
  /** Cancels whatever transfer is in flight when the sensor is closed. */
  readonly lifetime: AbortController;
  /** The operation now using the reader; close() waits for it to let go. */
  inFlight: Promise<unknown> | undefined;
}

/** A DigitalPersona U.are.U 4000/4000B/4500 optical reader on USB. */
export class Uru4000Sensor implements FingerprintSensor {
  readonly id: string;
  readonly #config: UsbSensorConfig;
  readonly #profile: Uru4000Profile;
  readonly #openTransport: OpenUsbTransport | undefined;
  readonly #watchArrivals: WatchUsbArrivals | undefined;
  readonly #logger: Uru4000SensorOptions["logger"];
  readonly #seedSource: () => number;
  #session: Session | undefined;
  #opening:
    { readonly promise: Promise<SensorDescription>; readonly cancel: AbortController } | undefined;
  #lost: SensorError | undefined;
  #description: SensorDescription | undefined;

  constructor(config: UsbSensorConfig, options: Uru4000SensorOptions = {}) {
    this.id = config.id;
    this.#config = config;
    this.#profile = URU4000_MODELS[config.model];
    this.#openTransport = options.openTransport;
    this.#watchArrivals = options.watchArrivals;
    this.#logger = options.logger;
    this.#seedSource = options.seedSource ?? (() => randomInt(0, 2 ** 32));
  }

  get #label(): string {
    const { vendorId, productId, serialNumber } = this.#config.match;
    return `sensor ${this.id} (USB ${formatUsbId(vendorId, productId)}${serialNumber ? ` serial ${serialNumber}` : ""})`;
  }

  open(signal?: AbortSignal): Promise<SensorDescription> {
    if (this.#session) return Promise.resolve(this.#session.description);
    if (this.#opening) return this.#opening.promise;
    this.#lost = undefined;
    const cancel = new AbortController();
    const combined = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal;
    const promise = this.#connect(combined).finally(() => {
      this.#opening = undefined;
    });
    this.#opening = { promise, cancel };
    return promise;
  }

  /** Calls `listener` when a reader with the configured ids is plugged in; returns an unsubscribe. */
  onArrival(listener: () => void): () => void {
    if (this.#watchArrivals) return this.#watchArrivals(this.#config.match, listener);
    // libusb is loaded only once a USB sensor is used, so its hot-plug watch starts late.
    let stop: (() => void) | undefined;
    let cancelled = false;
    void import("./libusb-transport.js").then(
      ({ watchLibusbArrivals }) => {
        if (!cancelled) stop = watchLibusbArrivals(this.#config.match, listener);
      },
      (error: unknown) => {
        this.#logger?.warn({ sensorId: this.id, err: error }, "USB hot-plug events unavailable");
      },
    );
    return () => {
      cancelled = true;
      stop?.();
    };
  }

  describe(): SensorDescription {
    if (!this.#description) throw new SensorError("not-open", `${this.#label} has not been opened`);
    return this.#description;
  }

  async waitForFinger(options: WaitOptions): Promise<void> {
    const session = this.#require();
    session.fingerOnAt = undefined;
    session.fingerOnAt = await this.#await(
      session,
      Mode.AwaitFingerOn,
      InterruptCode.FingerOn,
      options,
      "waiting for a finger",
    );
  }

  async captureImage(signal?: AbortSignal): Promise<CapturedImage> {
    const session = this.#require();
    const startedAt = session.fingerOnAt ?? performance.now();
    session.fingerOnAt = undefined;
    const capturedAt = new Date();
    const pixels = await this.#guard(
      session,
      signal,
      (combined) => session.reader.captureFrame(combined),
      "capturing an image",
    );
    return {
      sensorId: this.id,
      capturedAt,
      durationMs: performance.now() - startedAt,
      width: IMAGE_WIDTH,
      height: IMAGE_HEIGHT,
      resolutionPpi: RESOLUTION_PPI,
      pixels,
    };
  }

  async waitForFingerRemoved(options: WaitOptions): Promise<void> {
    const session = this.#require();
    session.fingerOnAt = undefined;
    await this.#await(
      session,
      Mode.AwaitFingerOff,
      InterruptCode.FingerOff,
      options,
      "waiting for the finger to be removed",
    );
  }

  setIndicator(_state: IndicatorState): Promise<void> {
    return Promise.reject(
      new SensorError(
        "unsupported",
        `${this.#label}: the ${this.#profile.name} has no light the host controls`,
      ),
    );
  }

  async close(): Promise<void> {
    const opening = this.#opening;
    if (opening) {
      opening.cancel.abort(new SensorError("disconnected", `${this.#label} closed while opening`));
      await opening.promise.catch(() => undefined);
    }
    const session = this.#session;
    this.#session = undefined;
    this.#lost = undefined;
    if (!session) return;
    session.stopWatching();
    session.lifetime.abort(new SensorError("aborted", `${this.#label} closed`));
    await session.inFlight?.catch(() => undefined);
    // Lights off on the way out; a reader that is already gone cannot be told.
    await session.reader.setMode(Mode.Off).catch(() => undefined);
    await session.reader.transport.close();
  }

  async #connect(signal: AbortSignal): Promise<SensorDescription> {
    const openTransport =
      this.#openTransport ?? (await import("./libusb-transport.js")).openLibusbTransport;
    let transport: UsbTransport;
    try {
      transport = await openTransport(this.#config.match, signal);
    } catch (error) {
      throw toSensorError(error, `${this.#label}: opening`);
    }
    try {
      const reader = new ReaderSession(
        transport,
        this.#profile,
        this.#label,
        this.#seedSource,
        this.#logger,
      );
      const versions = await this.#powerUpOrReset(reader, signal);
      const description = this.#describe(transport, versions);
      const session: Session = {
        reader,
        description,
        stopWatching: () => undefined,
        fingerOnAt: undefined,
        lifetime: new AbortController(),
        inFlight: undefined,
      };
      session.stopWatching = transport.onDetach(() => this.#onDetached(session));
      this.#session = session;
      this.#description = description;
      return description;
    } catch (error) {
      await transport.close().catch(() => undefined);
      throw error instanceof SensorError
        ? error
        : toSensorError(error, `${this.#label}: powering up`);
    }
  }

  /** A reader that does not answer its power-up is reset once; if that does not help it is faulty. */
  async #powerUpOrReset(reader: ReaderSession, signal: AbortSignal): Promise<DeviceVersions> {
    try {
      return await reader.powerUp(signal);
    } catch (error) {
      if (!isUnanswered(error)) throw toSensorError(error, `${this.#label}: powering up`);
      this.#logger?.warn(
        { sensorId: this.id, reason: (error as Error).message },
        "U.are.U not answering; resetting it",
      );
    }
    try {
      await reader.transport.reset({ timeoutMs: Timeouts.controlMs, signal });
      return await reader.powerUp(signal);
    } catch (error) {
      if (isUsbTransferError(error, "disconnected") || signal.aborted)
        throw toSensorError(error, `${this.#label}: after a reset`);
      throw new ReaderFaultyError(
        `${this.#label} does not answer even after a USB reset: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #describe(transport: UsbTransport, versions: DeviceVersions): SensorDescription {
    const { identity } = transport;
    return {
      id: this.id,
      kind: "usb",
      model: this.#profile.model,
      imageWidth: IMAGE_WIDTH,
      imageHeight: IMAGE_HEIGHT,
      resolutionPpi: RESOLUTION_PPI,
      identity: {
        product: this.#profile.name,
        usbId: formatUsbId(identity.vendorId, identity.productId),
        location: identity.location,
        ...(identity.serialNumber !== undefined && { serialNumber: identity.serialNumber }),
        hardwareVersion: versions.hardware,
        firmwareVersion: versions.firmware,
      },
      capabilities: { indicator: false },
    };
  }

  #onDetached(session: Session): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    this.#lost = new SensorError("disconnected", `${this.#label} was unplugged`);
    this.#logger?.warn(
      { sensorId: this.id, location: session.description.identity.location },
      "U.are.U reader unplugged",
    );
    void session.reader.transport.close().catch(() => undefined);
  }

  async #await(
    session: Session,
    mode: typeof Mode.AwaitFingerOn | typeof Mode.AwaitFingerOff,
    wanted: number,
    options: WaitOptions,
    what: string,
  ): Promise<number> {
    const deadline = performance.now() + options.timeoutMs;
    try {
      return await this.#guard(
        session,
        options.signal,
        (signal) => session.reader.awaitEvent(mode, wanted, deadline, signal),
        what,
      );
    } catch (error) {
      const transferError = error instanceof SensorError ? error.cause : error;
      if (isUsbTransferError(transferError, "timeout") && performance.now() >= deadline) {
        throw new SensorError(
          "timeout",
          `${this.#label}: ${what}: nothing within ${options.timeoutMs} ms`,
        );
      }
      throw error;
    }
  }

  /** Runs one operation on the reader, cancellable by the caller and by close(). */
  async #guard<T>(
    session: Session,
    signal: AbortSignal | undefined,
    operation: (signal: AbortSignal) => Promise<T>,
    what: string,
  ): Promise<T> {
    const combined = signal
      ? AbortSignal.any([signal, session.lifetime.signal])
      : session.lifetime.signal;
    const running = operation(combined);
    session.inFlight = running;
    try {
      return await running;
    } catch (error) {
      throw this.#fail(error, what);
    } finally {
      if (session.inFlight === running) session.inFlight = undefined;
    }
  }

  #fail(error: unknown, what: string): SensorError {
    const failure = toSensorError(error, `${this.#label}: ${what}`);
    if (failure.kind === "disconnected" && this.#session) {
      const session = this.#session;
      this.#onDetached(session);
      this.#lost = failure;
    }
    return failure;
  }

  #require(): Session {
    if (this.#session) return this.#session;
    throw this.#lost ?? new SensorError("not-open", `${this.#label} is not open`);
  }
}

function isUnanswered(error: unknown): boolean {
  return (
    isUsbTransferError(error, "timeout") ||
    (error instanceof SensorError && error.kind === "no-reply")
  );
}

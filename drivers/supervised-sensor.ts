import { abortError, isAborted } from "./link/abort.js";
import {
  SensorError,
  isSensorError,
  type CapturedImage,
  type CaptureParameters,
  type FingerprintSensor,
  type IndicatorState,
  type SensorDescription,
  type WaitOptions,
} from "./sensor.js";

/** What central operations see of a sensor: ready, or why not. */
export type SensorStatus =
  /** Opening for the first time. */
  | "connecting"
  | "ready"
  /** Unplugged, hung or failing: being reopened with backoff. */
  | "lost"
  /** Not plugged in (a USB reader away): reopened when it returns, at once where hot-plug tells. */
  | "missing"
  /** Still not answering after a reset: needs a person; reopening goes on with backoff. */
  | "faulty"
  | "closed";

export interface SupervisorLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface SupervisorOptions {
  readonly logger?: SupervisorLogger | undefined;
  /** Reopen delays grow from initialMs to maxMs; each is drawn at random below its cap. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number } | undefined;
  /** Commands the device leaves unanswered in a row before it counts as dead. */
  readonly unansweredLimit?: number | undefined;
  /** For tests: the source of jitter, 0 <= x < 1. */
  readonly random?: (() => number) | undefined;
  /**
   * Drivers that can tell why a device will not open (absent, or broken) name the status
   * to show meanwhile; otherwise it stays "connecting" or "lost".
   */
  readonly statusForOpenFailure?:
    ((error: unknown) => "missing" | "faulty" | undefined) | undefined;
  /**
   * Drivers that hear a device arrive (USB hot-plug) end the backoff wait early: this
   * calls `retryNow` on each arrival and returns an unsubscribe function.
   */
  readonly wakeOn?: ((retryNow: () => void) => () => void) | undefined;
}

const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000 } as const;

/**
 * Keeps a sensor usable for months unattended: opens it with backoff, notices when it
 * is unplugged or stops answering, closes it and reopens it (a /dev/serial/by-id path
 * comes back when the adapter does) without anyone restarting the agent. Operations
 * while it is away fail fast with "disconnected"; open() waits for it to return.
 * Reopen delays are jittered so a hall of terminals does not retry in lockstep.
 */
export class SupervisedSensor implements FingerprintSensor {
  readonly id: string;
  readonly #inner: FingerprintSensor;
  readonly #log: SupervisorLogger | undefined;
  readonly #backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly #unansweredLimit: number;
  readonly #random: () => number;
  readonly #statusForOpenFailure: SupervisorOptions["statusForOpenFailure"];
  readonly #wakeOn: SupervisorOptions["wakeOn"];
  readonly #listeners = new Set<(status: SensorStatus) => void>();
  #status: SensorStatus = "connecting";
  #description: SensorDescription | undefined;
  #connecting: Promise<SensorDescription> | undefined;
  /** Stops the reconnect loop when the sensor is closed. */
  #lifetime = new AbortController();
  #unanswered = 0;

  constructor(inner: FingerprintSensor, options: SupervisorOptions = {}) {
    this.id = inner.id;
    this.#inner = inner;
    this.#log = options.logger;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#unansweredLimit = options.unansweredLimit ?? 2;
    this.#random = options.random ?? Math.random;
    this.#statusForOpenFailure = options.statusForOpenFailure;
    this.#wakeOn = options.wakeOn;
  }

  get status(): SensorStatus {
    return this.#status;
  }

  /** Called on every status change; returns an unsubscribe function. */
  onStatus(listener: (status: SensorStatus) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the sensor is ready, however many attempts that takes; rejects only on abort or close. */
  open(signal?: AbortSignal): Promise<SensorDescription> {
    if (this.#status === "ready" && this.#description) return Promise.resolve(this.#description);
    if (this.#status === "closed") this.#lifetime = new AbortController();
    if (this.#status === "closed" || this.#status === "connecting") this.#setStatus("connecting");
    this.#connecting ??= this.#connectLoop().finally(() => {
      this.#connecting = undefined;
    });
    return signal
      ? raceAbort(this.#connecting, signal, `opening sensor ${this.id}`)
      : this.#connecting;
  }

  describe(): SensorDescription {
    if (!this.#description)
      throw new SensorError("not-open", `sensor ${this.id} has not been opened`);
    return this.#description;
  }

  waitForFinger(options: WaitOptions): Promise<void> {
    return this.#guard(() => this.#inner.waitForFinger(options));
  }

  captureImage(signal?: AbortSignal): Promise<CapturedImage> {
    return this.#guard(() => this.#inner.captureImage(signal));
  }

  waitForFingerRemoved(options: WaitOptions): Promise<void> {
    return this.#guard(() => this.#inner.waitForFingerRemoved(options));
  }

  setIndicator(state: IndicatorState, signal?: AbortSignal): Promise<void> {
    return this.#guard(() => this.#inner.setIndicator(state, signal));
  }

  setCaptureParameters(
    parameters: CaptureParameters,
    signal?: AbortSignal,
  ): Promise<CaptureParameters> {
    return this.#guard(() => {
      if (this.#inner.setCaptureParameters === undefined) {
        throw new SensorError("unsupported", `sensor ${this.id} has no capture parameters`);
      }
      return this.#inner.setCaptureParameters(parameters, signal);
    });
  }

  async close(): Promise<void> {
    this.#lifetime.abort(new SensorError("disconnected", `sensor ${this.id} closed`));
    this.#setStatus("closed");
    await this.#connecting?.catch(() => undefined);
    await this.#inner.close();
  }

  async #connectLoop(): Promise<SensorDescription> {
    const lifetime = this.#lifetime.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        const description = await this.#inner.open(lifetime);
        this.#description = description;
        this.#unanswered = 0;
        this.#setStatus("ready");
        if (attempt > 1) this.#log?.info({ sensorId: this.id, attempts: attempt }, "sensor back");
        return description;
      } catch (error) {
        if (lifetime.aborted) throw abortError(lifetime, `opening sensor ${this.id}`);
        await this.#inner.close().catch(() => undefined);
        const absence = this.#statusForOpenFailure?.(error);
        if (absence) this.#setStatus(absence);
        const delayMs = this.#delayFor(attempt);
        // The first failure is news; the retries after it are not.
        const level = attempt === 1 ? "warn" : "debug";
        this.#log?.[level](
          { sensorId: this.id, err: error, attempt, retryInMs: delayMs },
          "sensor unavailable",
        );
        const arrival = new AbortController();
        const unsubscribe = this.#wakeOn?.(() => arrival.abort());
        await sleep(delayMs, AbortSignal.any([lifetime, arrival.signal])).catch(() => undefined);
        unsubscribe?.();
        if (isAborted(lifetime)) throw abortError(lifetime, `opening sensor ${this.id}`);
      }
    }
  }

  /** Full jitter: uniformly below min(max, initial x 2^(attempt-1)). */
  #delayFor(attempt: number): number {
    const cap = Math.min(
      this.#backoff.maxMs,
      this.#backoff.initialMs * 2 ** Math.min(attempt - 1, 20),
    );
    return Math.max(50, Math.floor(this.#random() * cap));
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#status !== "ready") {
      throw new SensorError(
        "disconnected",
        `sensor ${this.id} is ${this.#status === "lost" ? "being reopened" : this.#status}`,
      );
    }
    try {
      const result = await operation();
      this.#unanswered = 0;
      return result;
    } catch (error) {
      this.#judge(error);
      throw error;
    }
  }

  /** Decides from a failure whether the device is gone and must be reopened. */
  #judge(error: unknown): void {
    if (isSensorError(error, "disconnected")) {
      this.#lose(error);
    } else if (isSensorError(error, "no-reply") || isSensorError(error, "protocol")) {
      this.#unanswered++;
      if (this.#unanswered >= this.#unansweredLimit) this.#lose(error);
    } else if (isSensorError(error)) {
      // The device answered (even if only to say no): it is alive.
      this.#unanswered = 0;
    }
  }

  #lose(error: SensorError): void {
    if (this.#status !== "ready") return;
    this.#log?.warn({ sensorId: this.id, err: error }, "sensor lost; reopening");
    this.#setStatus("lost");
    this.#connecting ??= this.#inner
      .close()
      .catch(() => undefined)
      .then(() => this.#connectLoop())
      .finally(() => {
        this.#connecting = undefined;
      });
    // Nobody may be waiting on the reconnection yet; its failure is only the close.
    this.#connecting.catch(() => undefined);
  }

  #setStatus(status: SensorStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    for (const listener of this.#listeners) listener(status);
  }
}

/** Full jitter: uniform below min(maxMs, initialMs x 2^(attempt-1)), and never under 10 ms. */
export function backoffDelay(
  attempt: number,
  backoff: { readonly initialMs: number; readonly maxMs: number },
  random: number,
): number {
  const cap = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.max(10, Math.floor(random * cap));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** The shared connection attempt, abandoned (not cancelled) by one caller's signal. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

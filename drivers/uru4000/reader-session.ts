import { performance } from "node:perf_hooks";
import { SensorError } from "../sensor.js";
import {
  BULK_ENDPOINT,
  DEVICE_INFO_LENGTH,
  HARDWARE_STATUS_POLLS,
  HARDWARE_STATUS_POLL_MS,
  HardwareStatusBit,
  IMAGE_TRANSFER_LENGTH,
  INTERRUPT_ENDPOINT,
  INTERRUPT_LENGTH,
  InterruptCode,
  Mode,
  POWER_UP_ATTEMPTS,
  Register,
  Timeouts,
  type ModeValue,
} from "./constants.js";
import { decodeFrame, FrameError, parseFrame } from "./image-frame.js";
import type { Uru4000Profile } from "./models.js";
import { isUsbTransferError, UsbTransferError, type UsbTransport } from "./usb-transport.js";

export interface SessionLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface DeviceVersions {
  readonly hardware: string;
  readonly firmware: string;
}

/**
 * The U.are.U protocol over one open transport: register I/O, power-up, mode changes,
 * interrupt events and image frames. One transfer at a time; a stalled endpoint is
 * cleared and the transfer tried once more.
 */
export class ReaderSession {
  constructor(
    readonly transport: UsbTransport,
    private readonly profile: Uru4000Profile,
    private readonly label: string,
    private readonly seedSource: () => number,
    private readonly logger: SessionLogger | undefined,
  ) {}

  async readRegisters(register: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const data = await this.#withStallRecovery(
      0,
      `reading register 0x${register.toString(16)}`,
      () => this.transport.controlIn(register, length, { timeoutMs: Timeouts.controlMs, signal }),
    );
    if (data.length !== length) {
      throw new UsbTransferError(
        "io",
        `short register read at 0x${register.toString(16)}: ${data.length} of ${length} bytes`,
      );
    }
    return data;
  }

  async writeRegisters(register: number, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    await this.#withStallRecovery(0, `writing register 0x${register.toString(16)}`, () =>
      this.transport.controlOut(register, data, { timeoutMs: Timeouts.controlMs, signal }),
    );
  }

  async setMode(mode: ModeValue, signal?: AbortSignal): Promise<void> {
    await this.writeRegisters(Register.Mode, Uint8Array.of(mode), signal);
  }

  /**
   * Brings the reader from whatever power state it is in to scanning: clears a confused
   * state, powers it down and up again, and waits for its scan-power interrupt,
   * retrying the whole sequence when that interrupt does not come.
   */
  async powerUp(signal?: AbortSignal): Promise<DeviceVersions> {
    for (let attempt = 1; ; attempt++) {
      let status = await this.#hardwareStatus(signal);
      if (
        (status & (HardwareStatusBit.LowPower | HardwareStatusBit.Confused)) ===
        (HardwareStatusBit.LowPower | HardwareStatusBit.Confused)
      ) {
        status = await this.#pollStatus(
          status & 0x0f,
          (s) => (s & HardwareStatusBit.Awake) !== 0,
          "reboot its power",
          signal,
        );
      }
      if ((status & HardwareStatusBit.LowPower) === 0) {
        await this.writeRegisters(
          Register.HardwareStatus,
          Uint8Array.of(status | HardwareStatusBit.LowPower),
          signal,
        );
      }
      await this.#pollStatus(
        status & 0x0f,
        (s) => (s & HardwareStatusBit.LowPower) === 0,
        "power up",
        signal,
      );
      const event = await this.nextInterrupt(Timeouts.scanPowerMs, signal).catch(
        (error: unknown) => {
          if (isUsbTransferError(error, "timeout")) return undefined;
          throw error;
        },
      );
      if (event === InterruptCode.ScanPowerOn) break;
      if (attempt >= POWER_UP_ATTEMPTS) {
        throw new SensorError(
          "no-reply",
          `${this.label}: the reader never reported scan power after ${attempt} power-ups`,
        );
      }
      this.logger?.debug({ attempt, event }, "U.are.U scan power not reported; powering up again");
    }
    const info = await this.readRegisters(Register.DeviceInfo, DEVICE_INFO_LENGTH, signal);
    return { hardware: hex(info, 10, 12), firmware: hex(info, 4, 6) };
  }

  /** The next interrupt report's event code; a short or long report is a protocol error. */
  async nextInterrupt(timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const report = await this.#withStallRecovery(INTERRUPT_ENDPOINT, "reading an interrupt", () =>
      this.transport.interruptIn(INTERRUPT_LENGTH, { timeoutMs, signal }),
    );
    if (report.length !== INTERRUPT_LENGTH) {
      throw new SensorError(
        "protocol",
        `${this.label}: interrupt report of ${report.length} bytes; expected ${INTERRUPT_LENGTH}`,
      );
    }
    const code = ((report[0] ?? 0) << 8) | (report[1] ?? 0);
    if (code === InterruptCode.Death) {
      this.logger?.warn({}, "U.are.U announced a failing scan (interrupt 0800)");
    }
    return code;
  }

  /**
   * Puts the reader in `mode` and waits for `wanted`; returns performance.now() at its
   * arrival. Interrupt polls that time out are normal while nobody touches the reader.
   */
  async awaitEvent(
    mode: ModeValue,
    wanted: number,
    deadline: number,
    signal: AbortSignal,
  ): Promise<number> {
    await this.setMode(mode, signal);
    for (;;) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new UsbTransferError("timeout", "the wait ran out");
      try {
        const code = await this.nextInterrupt(
          Math.max(1, Math.min(remaining, Timeouts.interruptPollMs)),
          signal,
        );
        if (code === wanted) return performance.now();
        this.logger?.debug({ code }, "U.are.U interrupt ignored");
      } catch (error) {
        if (!isUsbTransferError(error, "timeout")) throw error;
      }
    }
  }

  /** Switches to capture mode and reads, checks and decodes one frame (a bad frame gets one more try). */
  async captureFrame(signal?: AbortSignal): Promise<Uint8Array> {
    await this.setMode(Mode.Capture, signal);
    for (let attempt = 1; ; attempt++) {
      const frame = await this.#withStallRecovery(BULK_ENDPOINT, "reading the image", () =>
        this.transport.bulkIn(IMAGE_TRANSFER_LENGTH, { timeoutMs: Timeouts.bulkMs, signal }),
      );
      try {
        const header = parseFrame(frame);
        return await decodeFrame(frame, header, this.profile, (keyNumber) =>
          this.#fetchKey(keyNumber, signal),
        );
      } catch (error) {
        if (!(error instanceof FrameError) || attempt >= 2) throw error;
        this.logger?.warn({ reason: error.message }, "U.are.U frame rejected; reading another");
      }
    }
  }

  /** Asks for key `keyNumber` under a fresh seed; the reader answers key XOR seed. */
  async #fetchKey(keyNumber: number, signal?: AbortSignal): Promise<number> {
    const seed = this.seedSource() >>> 0;
    const index = new Uint8Array(5);
    index[0] = keyNumber;
    new DataView(index.buffer).setUint32(1, seed, true);
    await this.writeRegisters(Register.ScrambleDataIndex, index, signal);
    const answer = await this.readRegisters(Register.ScrambleDataKey, 4, signal);
    const masked = new DataView(answer.buffer, answer.byteOffset, 4).getUint32(0, true);
    return (masked ^ seed) >>> 0;
  }

  async #hardwareStatus(signal?: AbortSignal): Promise<number> {
    return (await this.readRegisters(Register.HardwareStatus, 1, signal))[0] ?? 0;
  }

  /** Writes `value` to the hardware status and re-reads it until `done`, 10 ms apart. */
  async #pollStatus(
    value: number,
    done: (status: number) => boolean,
    what: string,
    signal?: AbortSignal,
  ): Promise<number> {
    for (let poll = 0; poll < HARDWARE_STATUS_POLLS; poll++) {
      await this.writeRegisters(Register.HardwareStatus, Uint8Array.of(value), signal);
      const status = await this.#hardwareStatus(signal);
      if (done(status)) return status;
      await sleep(HARDWARE_STATUS_POLL_MS, signal);
    }
    throw new SensorError(
      "device",
      `${this.label}: the reader would not ${what} (hardware status stuck)`,
    );
  }

  async #withStallRecovery<T>(
    endpoint: number,
    what: string,
    transfer: () => Promise<T>,
  ): Promise<T> {
    try {
      return await transfer();
    } catch (error) {
      if (!isUsbTransferError(error, "stall")) throw error;
      this.logger?.warn({ endpoint }, "U.are.U endpoint stalled; clearing the halt");
    }
    await this.transport.clearHalt(endpoint, { timeoutMs: Timeouts.controlMs });
    try {
      return await transfer();
    } catch (error) {
      if (!isUsbTransferError(error, "stall")) throw error;
      throw new UsbTransferError(
        "stall",
        `${what}: the endpoint stalled again after its halt was cleared`,
        {
          cause: error,
        },
      );
    }
  }
}

function hex(bytes: Uint8Array, from: number, to: number): string {
  return Array.from(bytes.subarray(from, to), (b) => b.toString(16).padStart(2, "0")).join("");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new SensorError("aborted", "aborted", undefined, { cause: signal.reason }));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new SensorError("aborted", "aborted", undefined, { cause: signal?.reason }));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

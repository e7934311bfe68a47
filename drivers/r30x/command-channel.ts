import { abortError } from "../link/abort.js";
import type { ByteLink } from "../link/byte-link.js";
import { SensorError } from "../sensor.js";
import { Confirmation, hexByte, instructionName, Pid } from "./constants.js";
import {
  CHECKSUM_LENGTH,
  encodeCommand,
  encodeFrame,
  HEADER_LENGTH,
  type R30xFrame,
} from "./frame.js";
import { FrameParser, type ParserDiscard } from "./parser.js";
import { PACKET_SIZES } from "./system-parameters.js";

export interface DriverLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How frames are addressed and how large outgoing data packets are. */
export interface ChannelSettings {
  readonly address?: number | undefined;
  /** One of PACKET_SIZES. */
  readonly packetSize?: number | undefined;
}

export interface CommandRequest {
  readonly instruction: number;
  readonly args?: Uint8Array | undefined;
  /**
   * When set, an Ok acknowledge is followed by data packets up to the one with
   * PID 0x08, and at most this many data bytes are accepted.
   */
  readonly dataLimit?: number | undefined;
  /**
   * Sent as data packets of the current packet size once the module acknowledges
   * Ok (DownChar, DownImage). The exchange ends when they are written: the module
   * sends nothing more, so there is nothing else to wait for.
   */
  readonly outbound?: Uint8Array | undefined;
  /**
   * Applied when the module acknowledges Ok and before the next command goes out,
   * so a queued command is never framed with stale settings. A new address is also
   * accepted for this command's own acknowledge: SetAddr is answered from it.
   */
  readonly reconfigure?: ChannelSettings | undefined;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface CommandReply {
  readonly confirmation: number;
  /** The acknowledge payload after the confirmation code. */
  readonly parameters: Uint8Array;
  /** The data packets' payloads joined; empty when none were asked for. */
  readonly data: Uint8Array;
}

export interface CommandChannelOptions {
  /** The address frames are sent to and accepted from. */
  readonly address: number;
  /** Bytes per outgoing data packet until reconfigured; defaults to the factory 128. */
  readonly packetSize?: number | undefined;
  /** Names the device in error messages (its path). */
  readonly label: string;
  readonly logger?: DriverLogger | undefined;
}

interface Job {
  readonly request: CommandRequest;
  readonly resolve: (reply: CommandReply) => void;
  readonly reject: (error: SensorError) => void;
  /** The caller has its answer (possibly "aborted") even if the exchange goes on. */
  settled: boolean;
  detachAbort: () => void;
}

interface Exchange {
  readonly job: Job;
  readonly timer: NodeJS.Timeout;
  acknowledge?: { confirmation: number; parameters: Uint8Array };
  /** Outbound data packets are being written; whatever arrives meanwhile is not for us. */
  sending: boolean;
  readonly chunks: Uint8Array[];
  dataBytes: number;
}

const EMPTY = new Uint8Array(0);
const FACTORY_PACKET_SIZE = 128;

/**
 * Runs one command at a time over a link. The protocol has no sequence numbers,
 * so a reply is only ever matched to the single command in flight; a caller that
 * aborts is answered at once but the exchange keeps the line until the module has
 * finished replying, so the late reply cannot be taken for the next command's.
 */
export class CommandChannel {
  readonly #parser: FrameParser;
  readonly #queue: Job[] = [];
  readonly #unsubscribe: (() => void)[];
  #exchange: Exchange | undefined;
  #failure: SensorError | undefined;
  #address: number;
  #packetSize: number;

  constructor(
    private readonly link: ByteLink,
    private readonly options: CommandChannelOptions,
  ) {
    const problem = settingsProblem(options);
    if (problem) throw problem;
    this.#address = options.address;
    this.#packetSize = options.packetSize ?? FACTORY_PACKET_SIZE;
    this.#parser = new FrameParser({
      onFrame: (frame) => {
        this.#onFrame(frame);
      },
      onDiscard: (discard) => {
        this.#onDiscard(discard);
      },
    });
    this.#unsubscribe = [
      link.onData((chunk) => {
        this.#parser.push(chunk);
      }),
      link.onClose((error) => {
        const detail = error === undefined ? "" : `: ${error.message}`;
        this.shutdown(
          new SensorError("disconnected", `${options.label}: link closed${detail}`, undefined, {
            cause: error,
          }),
        );
      }),
    ];
  }

  /** The address commands go to and replies are accepted from. */
  get address(): number {
    return this.#address;
  }

  /** Bytes per outgoing data packet. */
  get packetSize(): number {
    return this.#packetSize;
  }

  /** Follows a packet size the module reports (ReadSysPara) or was set to outside this channel. */
  setPacketSize(bytes: number): void {
    const problem = settingsProblem({ packetSize: bytes });
    if (problem) throw problem;
    this.#packetSize = bytes;
  }

  /**
   * Queues a command; resolves with whatever confirmation code the module sent.
   * A malformed request (empty outbound data, an impossible setting) rejects with a
   * RangeError before anything is sent.
   */
  execute(request: CommandRequest): Promise<CommandReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    const invalid =
      request.outbound?.length === 0
        ? new RangeError("outbound data must not be empty")
        : settingsProblem(request.reconfigure ?? {});
    if (invalid) return Promise.reject(invalid);
    const { signal } = request;
    const name = instructionName(request.instruction);
    if (signal?.aborted) return Promise.reject(abortError(signal, name));
    return new Promise((resolve, reject) => {
      const job: Job = { request, resolve, reject, settled: false, detachAbort: () => undefined };
      if (signal) {
        const onAbort = (): void => {
          const queued = this.#queue.indexOf(job);
          if (queued >= 0) this.#queue.splice(queued, 1);
          this.#settle(job, abortError(signal, name));
        };
        signal.addEventListener("abort", onAbort, { once: true });
        job.detachAbort = () => {
          signal.removeEventListener("abort", onAbort);
        };
      }
      this.#queue.push(job);
      this.#pump();
    });
  }

  /** Fails the command in flight, the queued ones and every later one with `error`. */
  shutdown(error: SensorError): void {
    if (this.#failure) return;
    this.#failure = error;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    const exchange = this.#exchange;
    this.#exchange = undefined;
    if (exchange) {
      clearTimeout(exchange.timer);
      this.#settle(exchange.job, error);
    }
    for (const job of this.#queue.splice(0)) this.#settle(job, error);
  }

  #pump(): void {
    if (this.#exchange || this.#failure) return;
    const job = this.#queue.shift();
    if (!job) return;
    const { instruction, args, timeoutMs } = job.request;
    const name = instructionName(instruction);
    const timer = setTimeout(() => {
      // A half-received reply would otherwise swallow the start of the next one.
      this.#parser.reset();
      this.#finish(
        new SensorError(
          "no-reply",
          `${this.options.label}: ${name}: no reply within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const exchange: Exchange = { job, timer, sending: false, chunks: [], dataBytes: 0 };
    this.#exchange = exchange;
    this.#write(exchange, encodeCommand(this.#address, instruction, args), () => undefined);
  }

  /** Writes `bytes` for `exchange`, then calls `done` unless the exchange has ended meanwhile. */
  #write(exchange: Exchange, bytes: Uint8Array, done: () => void): void {
    this.link.write(bytes).then(
      () => {
        if (this.#exchange === exchange) done();
      },
      (error: unknown) => {
        if (this.#exchange !== exchange) return;
        const name = instructionName(exchange.job.request.instruction);
        this.#finish(
          error instanceof SensorError
            ? error
            : new SensorError(
                "disconnected",
                `${this.options.label}: ${name}: write failed`,
                undefined,
                { cause: error },
              ),
        );
      },
    );
  }

  #onFrame(frame: R30xFrame): void {
    const exchange = this.#exchange;
    const request = exchange?.job.request;
    const awaitingNewAddress =
      exchange?.acknowledge === undefined && request?.reconfigure?.address === frame.address;
    if (frame.address !== this.#address && !awaitingNewAddress) {
      this.options.logger?.debug(
        { address: frame.address, pid: frame.pid },
        "R30x frame for another address ignored",
      );
      return;
    }
    if (!exchange || !request || exchange.sending) {
      this.options.logger?.debug({ pid: frame.pid }, "R30x frame with no reply expected ignored");
      return;
    }
    if (exchange.acknowledge === undefined) {
      if (frame.pid !== Pid.Acknowledge) {
        this.options.logger?.debug(
          { pid: frame.pid },
          "R30x frame ignored while waiting for an acknowledge",
        );
        return;
      }
      const confirmation = frame.payload[0] ?? Confirmation.PacketReceiveError;
      exchange.acknowledge = { confirmation, parameters: frame.payload.subarray(1) };
      if (confirmation !== Confirmation.Ok) {
        this.#finish();
        return;
      }
      this.#apply(request.reconfigure);
      if (request.outbound !== undefined) {
        exchange.sending = true;
        const packets = encodeDataPackets(this.#address, request.outbound, this.#packetSize);
        this.#write(exchange, packets, () => {
          this.#finish();
        });
      } else if (request.dataLimit === undefined) {
        this.#finish();
      }
      return;
    }
    const name = instructionName(request.instruction);
    if (frame.pid !== Pid.Data && frame.pid !== Pid.EndData) {
      this.#finish(
        new SensorError(
          "protocol",
          `${this.options.label}: ${name}: PID ${hexByte(frame.pid)} during a data transfer`,
        ),
      );
      return;
    }
    exchange.dataBytes += frame.payload.length;
    if (exchange.dataBytes > (request.dataLimit ?? 0)) {
      this.#finish(
        new SensorError(
          "protocol",
          `${this.options.label}: ${name}: more than ${request.dataLimit ?? 0} data bytes`,
        ),
      );
      return;
    }
    exchange.chunks.push(frame.payload);
    if (frame.pid === Pid.EndData) this.#finish();
  }

  #apply(settings: ChannelSettings | undefined): void {
    if (settings?.address !== undefined) this.#address = settings.address;
    if (settings?.packetSize !== undefined) this.#packetSize = settings.packetSize;
  }

  #onDiscard(discard: ParserDiscard): void {
    this.options.logger?.debug(
      { reason: discard.reason, bytes: discard.byteCount },
      "R30x bytes discarded",
    );
  }

  /** Ends the exchange in flight with its reply, or with `error`, and starts the next one. */
  #finish(error?: SensorError): void {
    const exchange = this.#exchange;
    if (!exchange) return;
    clearTimeout(exchange.timer);
    this.#exchange = undefined;
    const acknowledge = exchange.acknowledge;
    if (error !== undefined || acknowledge === undefined) {
      this.#settle(
        exchange.job,
        error ?? new SensorError("protocol", `${this.options.label}: no acknowledge`),
      );
    } else {
      this.#settle(exchange.job, {
        confirmation: acknowledge.confirmation,
        parameters: acknowledge.parameters,
        data: joinChunks(exchange.chunks, exchange.dataBytes),
      });
    }
    this.#pump();
  }

  #settle(job: Job, outcome: CommandReply | SensorError): void {
    if (job.settled) return;
    job.settled = true;
    job.detachAbort();
    if (outcome instanceof SensorError) job.reject(outcome);
    else job.resolve(outcome);
  }
}

/** Why `settings` cannot be applied, if they cannot. */
function settingsProblem({ address, packetSize }: ChannelSettings): RangeError | undefined {
  if (
    address !== undefined &&
    !(Number.isInteger(address) && address >= 0 && address <= 2 ** 32 - 1)
  ) {
    return new RangeError("an R30x address is a 32-bit unsigned integer");
  }
  if (packetSize !== undefined && !(PACKET_SIZES as readonly number[]).includes(packetSize)) {
    return new RangeError(
      `R30x data packets are ${PACKET_SIZES.join("/")} bytes, not ${packetSize}`,
    );
  }
  return undefined;
}

/** `data` cut into packets of `packetSize`, the last one marked with PID 0x08, as one write. */
function encodeDataPackets(address: number, data: Uint8Array, packetSize: number): Uint8Array {
  const count = Math.ceil(data.length / packetSize);
  const bytes = new Uint8Array(data.length + count * (HEADER_LENGTH + CHECKSUM_LENGTH));
  let at = 0;
  for (let offset = 0; offset < data.length; offset += packetSize) {
    const end = Math.min(offset + packetSize, data.length);
    const pid = end === data.length ? Pid.EndData : Pid.Data;
    const frame = encodeFrame({ address, pid, payload: data.subarray(offset, end) });
    bytes.set(frame, at);
    at += frame.length;
  }
  return bytes;
}

function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 0) return EMPTY;
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

import { abortError } from "../link/abort.js";
import type { ByteLink } from "../link/byte-link.js";
import { SensorError } from "../sensor.js";
import { Confirmation, hexByte, instructionName, Pid } from "./constants.js";
import { encodeCommand, type R30xFrame } from "./frame.js";
import { FrameParser, type ParserDiscard } from "./parser.js";

export interface DriverLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CommandRequest {
  readonly instruction: number;
  readonly args?: Uint8Array | undefined;
  /**
   * When set, an Ok acknowledge is followed by data packets up to the one with
   * PID 0x08, and at most this many data bytes are accepted.
   */
  readonly dataLimit?: number | undefined;
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
  acknowledge: { confirmation: number; parameters: Uint8Array } | undefined;
  readonly chunks: Uint8Array[];
  dataBytes: number;
}

const EMPTY = new Uint8Array(0);

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

  constructor(
    private readonly link: ByteLink,
    private readonly options: CommandChannelOptions,
  ) {
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

  /** Queues a command; resolves with whatever confirmation code the module sent. */
  execute(request: CommandRequest): Promise<CommandReply> {
    if (this.#failure) return Promise.reject(this.#failure);
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
          "timeout",
          `${this.options.label}: ${name}: no reply within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    const exchange: Exchange = { job, timer, acknowledge: undefined, chunks: [], dataBytes: 0 };
    this.#exchange = exchange;
    this.link
      .write(encodeCommand(this.options.address, instruction, args))
      .catch((error: unknown) => {
        if (this.#exchange !== exchange) return;
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
      });
  }

  #onFrame(frame: R30xFrame): void {
    if (frame.address !== this.options.address) {
      this.options.logger?.debug(
        { address: frame.address, pid: frame.pid },
        "R30x frame for another address ignored",
      );
      return;
    }
    const exchange = this.#exchange;
    if (!exchange) {
      this.options.logger?.debug(
        { pid: frame.pid },
        "R30x frame with no command in flight ignored",
      );
      return;
    }
    const { request } = exchange.job;
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
      if (confirmation !== Confirmation.Ok || request.dataLimit === undefined) this.#finish();
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

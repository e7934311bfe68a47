import { isSensorError, SensorError } from "../sensor.js";
import type { ChannelSettings, CommandChannel, CommandReply } from "./command-channel.js";
import { Confirmation, deviceError, instructionName, isRetransmitSafe } from "./constants.js";
import { CHECKSUM_LENGTH, HEADER_LENGTH, MIN_FRAME_LENGTH } from "./frame.js";
import { BAUD_UNIT } from "./system-parameters.js";

export interface CommandOptions {
  readonly signal?: AbortSignal | undefined;
  /** Defaults to DEFAULT_COMMAND_TIMEOUT_MS, or for transfers to transferTimeoutMs(). */
  readonly timeoutMs?: number | undefined;
  /** False sends once even when the instruction is safe to repeat (probing a silent line). */
  readonly retransmit?: boolean | undefined;
}

export interface R30xCommandsOptions {
  /** The line rate, for the time a transfer may take; defaults to the factory 57600. */
  readonly baud?: number | undefined;
}

/** Covers the slowest datasheet capture time (ZFM, < 1 s) with room for the line. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** Extra tries for a retransmit-safe command whose reply was lost or garbled. */
export const RETRANSMISSIONS = 2;

/**
 * A failure of the cable rather than a verdict of the module: no reply, a garbled
 * reply, or the module saying our request arrived garbled (0x01).
 */
export function isLineError(error: unknown): boolean {
  return (
    isSensorError(error, "no-reply") ||
    isSensorError(error, "protocol") ||
    (isSensorError(error, "device") && error.deviceCode === Confirmation.PacketReceiveError)
  );
}

/** The character file buffers every family member has (the R503 has more; the rest do not). */
export type CharBuffer = 1 | 2;

/** 8N1: ten bits on the wire per byte. */
const BITS_PER_BYTE = 10;
const FACTORY_BAUD = 6 * BAUD_UNIT;

/**
 * How long a transfer of `dataBytes` in packets of `packetSize` may take at `baud`:
 * twice the line time plus the ordinary command allowance, so a module that is
 * slow to start sending is not cut off.
 */
export function transferTimeoutMs(dataBytes: number, packetSize: number, baud: number): number {
  const packets = Math.ceil(dataBytes / packetSize);
  const wireBytes = MIN_FRAME_LENGTH + dataBytes + packets * (HEADER_LENGTH + CHECKSUM_LENGTH);
  const lineMs = (wireBytes * BITS_PER_BYTE * 1000) / baud;
  return Math.ceil(2 * lineMs) + DEFAULT_COMMAND_TIMEOUT_MS;
}

/** What a command sends besides its instruction code; see CommandRequest. */
export interface SendExtras {
  readonly args?: Uint8Array | undefined;
  readonly dataLimit?: number | undefined;
  readonly outbound?: Uint8Array | undefined;
  readonly reconfigure?: ChannelSettings | undefined;
  /**
   * Rejects a reply that arrived but is incomplete (a transfer cut short by a damaged
   * packet) with a "protocol" SensorError, inside the retransmission loop, so a safe
   * command is fetched again rather than failing on one bad byte.
   */
  readonly checkReply?: ((reply: CommandReply) => void) | undefined;
}

/**
 * The shared request path under every instruction. The command set is split by
 * area into a chain of subclasses (capture, library, system, R503) only to keep
 * each file to one area; callers see the single R30xCommands at the end.
 */
export class CommandCore {
  protected readonly baud: number;

  constructor(
    protected readonly channel: CommandChannel,
    options: R30xCommandsOptions = {},
  ) {
    this.baud = options.baud ?? FACTORY_BAUD;
  }

  /**
   * A frame lost or garbled on a noisy line is sent again, but only for instructions
   * that do no harm when the module did act on the first copy (RETRANSMIT_SAFE).
   */
  protected async send(
    instruction: number,
    options: CommandOptions,
    extras: SendExtras = {},
  ): Promise<CommandReply> {
    const attempts =
      options.retransmit !== false && isRetransmitSafe(instruction) ? 1 + RETRANSMISSIONS : 1;
    const { checkReply, ...request } = extras;
    for (let attempt = 1; ; attempt++) {
      try {
        const reply = await this.channel.execute({
          instruction,
          ...request,
          signal: options.signal,
          timeoutMs: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
        });
        // The module heard garbage instead of our request: the line's fault, not its verdict.
        if (reply.confirmation === Confirmation.PacketReceiveError) {
          throw deviceError(instruction, reply.confirmation);
        }
        if (reply.confirmation === Confirmation.Ok) checkReply?.(reply);
        return reply;
      } catch (error) {
        if (attempt >= attempts || !isLineError(error) || options.signal?.aborted === true) {
          throw error;
        }
      }
    }
  }

  /** Sends and turns any confirmation code but Ok into a "device" SensorError. */
  protected async expectOk(
    instruction: number,
    options: CommandOptions,
    extras: SendExtras = {},
  ): Promise<CommandReply> {
    const reply = await this.send(instruction, options, extras);
    if (reply.confirmation !== Confirmation.Ok) throw deviceError(instruction, reply.confirmation);
    return reply;
  }

  /** The caller's limit, or one sized for `dataBytes` at the current packet size and baud. */
  protected transferOptions(dataBytes: number, options: CommandOptions): CommandOptions {
    return {
      signal: options.signal,
      timeoutMs:
        options.timeoutMs ?? transferTimeoutMs(dataBytes, this.channel.packetSize, this.baud),
    };
  }
}

/** The acknowledge's parameters after the confirmation code, at least `length` of them. */
export function replyParameters(
  reply: CommandReply,
  instruction: number,
  length: number,
): DataView {
  const { parameters } = reply;
  if (parameters.length < length) {
    throw new SensorError(
      "protocol",
      `${instructionName(instruction)} replied with ${parameters.length} parameter bytes, expected ${length}`,
    );
  }
  return new DataView(parameters.buffer, parameters.byteOffset, parameters.length);
}

export function checkCharBuffer(buffer: number): void {
  if (buffer !== 1 && buffer !== 2) throw new RangeError("character buffer must be 1 or 2");
}

/** Template pages and counts travel as 16-bit fields. */
export function checkUint16(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff_ff) {
    throw new RangeError(`${what} must be an integer 0-65535, got ${value}`);
  }
}

export function checkUint32(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff_ff_ff_ff) {
    throw new RangeError(`${what} must be a 32-bit unsigned integer`);
  }
}

export function checkUint8(value: number, what: string, min = 0): void {
  if (!Number.isInteger(value) || value < min || value > 0xff) {
    throw new RangeError(`${what} must be an integer ${min}-255, got ${value}`);
  }
}

/** Arguments from 8-bit and 16-bit fields, big-endian like everything on the wire. */
export function packArgs(
  ...fields: readonly (readonly [value: number, bytes: 1 | 2 | 4])[]
): Uint8Array {
  const length = fields.reduce((sum, [, bytes]) => sum + bytes, 0);
  const args = new Uint8Array(length);
  const view = new DataView(args.buffer);
  let offset = 0;
  for (const [value, bytes] of fields) {
    if (bytes === 1) view.setUint8(offset, value);
    else if (bytes === 2) view.setUint16(offset, value);
    else view.setUint32(offset, value);
    offset += bytes;
  }
  return args;
}

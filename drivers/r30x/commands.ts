import { SensorError } from "../sensor.js";
import type { CommandChannel, CommandReply } from "./command-channel.js";
import { Confirmation, deviceError, Instruction } from "./constants.js";
import { CHECKSUM_LENGTH, HEADER_LENGTH, MIN_FRAME_LENGTH, uint32Bytes } from "./frame.js";
import { decodeSystemParameters, type SystemParameters } from "./system-parameters.js";

export interface CommandOptions {
  readonly signal?: AbortSignal | undefined;
  /** Defaults to DEFAULT_COMMAND_TIMEOUT_MS. */
  readonly timeoutMs?: number | undefined;
}

/** Covers the slowest datasheet capture time (ZFM, < 1 s) with room for the line. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** 8N1: ten bits on the wire per byte. */
const BITS_PER_BYTE = 10;

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

/** The outcome of GenImg that is not a failure. */
export type CaptureResult = "captured" | "no-finger";

/** The typed instructions; each resolves on Ok and throws a "device" SensorError otherwise. */
export class R30xCommands {
  constructor(private readonly channel: CommandChannel) {}

  async verifyPassword(password: number, options: CommandOptions = {}): Promise<void> {
    await this.#expectOk(Instruction.VfyPwd, uint32Bytes(password), options);
  }

  async readSystemParameters(options: CommandOptions = {}): Promise<SystemParameters> {
    const reply = await this.#expectOk(Instruction.ReadSysPara, undefined, options);
    return decodeSystemParameters(reply.parameters);
  }

  /** Captures into the module's image buffer; "no-finger" when the sensor is clear. */
  async genImg(options: CommandOptions = {}): Promise<CaptureResult> {
    const reply = await this.#send(Instruction.GenImg, undefined, options);
    if (reply.confirmation === Confirmation.Ok) return "captured";
    if (reply.confirmation === Confirmation.NoFinger) return "no-finger";
    throw deviceError(Instruction.GenImg, reply.confirmation);
  }

  /** The image buffer, exactly `byteCount` bytes of packed pixels. */
  async upImage(byteCount: number, options: CommandOptions = {}): Promise<Uint8Array> {
    const reply = await this.#expectOk(Instruction.UpImage, undefined, options, byteCount);
    if (reply.data.length !== byteCount) {
      throw new SensorError(
        "protocol",
        `UpImage sent ${reply.data.length} bytes, expected ${byteCount}`,
      );
    }
    return reply.data;
  }

  async handshake(options: CommandOptions = {}): Promise<void> {
    await this.#expectOk(Instruction.HandShake, undefined, options);
  }

  #send(
    instruction: number,
    args: Uint8Array | undefined,
    options: CommandOptions,
    dataLimit?: number,
  ): Promise<CommandReply> {
    return this.channel.execute({
      instruction,
      args,
      dataLimit,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    });
  }

  async #expectOk(
    instruction: number,
    args: Uint8Array | undefined,
    options: CommandOptions,
    dataLimit?: number,
  ): Promise<CommandReply> {
    const reply = await this.#send(instruction, args, options, dataLimit);
    if (reply.confirmation !== Confirmation.Ok) throw deviceError(instruction, reply.confirmation);
    return reply;
  }
}

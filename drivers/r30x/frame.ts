import { Pid, START_CODE_HIGH, START_CODE_LOW } from "./constants.js";

/** One packet on the wire, without start code, length or checksum. */
export interface R30xFrame {
  readonly address: number;
  readonly pid: Pid;
  readonly payload: Uint8Array;
}

/** Start code (2) + address (4) + PID (1) + length (2). */
export const HEADER_LENGTH = 9;
export const CHECKSUM_LENGTH = 2;
/** An acknowledge carrying only its confirmation code. */
export const MIN_FRAME_LENGTH = HEADER_LENGTH + 1 + CHECKSUM_LENGTH;
/** The largest data packet size SetSysPara can select; no command or reply is longer. */
export const MAX_PAYLOAD_LENGTH = 256;
export const MAX_FRAME_LENGTH = HEADER_LENGTH + MAX_PAYLOAD_LENGTH + CHECKSUM_LENGTH;

/** The length field counts the payload and the checksum. */
export const MIN_LENGTH_FIELD = 1 + CHECKSUM_LENGTH;
export const MAX_LENGTH_FIELD = MAX_PAYLOAD_LENGTH + CHECKSUM_LENGTH;

/** Low 16 bits of PID + both length bytes + every payload byte (the address is not summed). */
export function frameChecksum(pid: number, lengthField: number, payload: Uint8Array): number {
  let sum = pid + (lengthField >> 8) + (lengthField & 0xff);
  for (const byte of payload) sum += byte;
  return sum & 0xff_ff;
}

export function encodeFrame(frame: R30xFrame): Uint8Array {
  const { address, pid, payload } = frame;
  if (payload.length < 1 || payload.length > MAX_PAYLOAD_LENGTH) {
    throw new RangeError(
      `R30x payload must be 1-${MAX_PAYLOAD_LENGTH} bytes, got ${payload.length}`,
    );
  }
  if (!Number.isInteger(address) || address < 0 || address > 0xff_ff_ff_ff) {
    throw new RangeError("R30x address must be a 32-bit unsigned integer");
  }
  const lengthField = payload.length + CHECKSUM_LENGTH;
  const bytes = new Uint8Array(HEADER_LENGTH + lengthField);
  const view = new DataView(bytes.buffer);
  bytes[0] = START_CODE_HIGH;
  bytes[1] = START_CODE_LOW;
  view.setUint32(2, address);
  bytes[6] = pid;
  view.setUint16(7, lengthField);
  bytes.set(payload, HEADER_LENGTH);
  view.setUint16(HEADER_LENGTH + payload.length, frameChecksum(pid, lengthField, payload));
  return bytes;
}

/** A command packet: the instruction code followed by its arguments. */
export function encodeCommand(
  address: number,
  instruction: number,
  args: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const payload = new Uint8Array(1 + args.length);
  payload[0] = instruction;
  payload.set(args, 1);
  return encodeFrame({ address, pid: Pid.Command, payload });
}

/** 32-bit big-endian, the byte order of every multi-byte field on the wire. */
export function uint32Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

import { SensorError } from "../sensor.js";

/** Data packet sizes selected by SetSysPara parameter 6, indexed by its code. */
export const PACKET_SIZES = [32, 64, 128, 256] as const;
export type PacketSizeCode = 0 | 1 | 2 | 3;

/** The line runs at 9600 x N baud. */
export const BAUD_UNIT = 9600;

export const SYSTEM_PARAMETERS_LENGTH = 16;

/** ReadSysPara's reply, field by field. */
export interface SystemParameters {
  readonly statusRegister: number;
  readonly systemId: number;
  readonly librarySize: number;
  readonly securityLevel: number;
  readonly address: number;
  readonly packetSizeCode: PacketSizeCode;
  /** Bytes per data packet, from packetSizeCode. */
  readonly packetSize: number;
  /** N in 9600 x N. */
  readonly baudMultiplier: number;
  readonly baud: number;
}

function isPacketSizeCode(code: number): code is PacketSizeCode {
  return code >= 0 && code < PACKET_SIZES.length;
}

export function decodeSystemParameters(bytes: Uint8Array): SystemParameters {
  if (bytes.length !== SYSTEM_PARAMETERS_LENGTH) {
    throw new SensorError(
      "protocol",
      `ReadSysPara returned ${bytes.length} bytes, expected ${SYSTEM_PARAMETERS_LENGTH}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const packetSizeCode = view.getUint16(12);
  if (!isPacketSizeCode(packetSizeCode)) {
    throw new SensorError("protocol", `ReadSysPara reported packet size code ${packetSizeCode}`);
  }
  const baudMultiplier = view.getUint16(14);
  return {
    statusRegister: view.getUint16(0),
    systemId: view.getUint16(2),
    librarySize: view.getUint16(4),
    securityLevel: view.getUint16(6),
    address: view.getUint32(8),
    packetSizeCode,
    packetSize: PACKET_SIZES[packetSizeCode],
    baudMultiplier,
    baud: BAUD_UNIT * baudMultiplier,
  };
}

export type SystemParameterFields = Omit<SystemParameters, "packetSize" | "baud">;

export function encodeSystemParameters(fields: SystemParameterFields): Uint8Array {
  const bytes = new Uint8Array(SYSTEM_PARAMETERS_LENGTH);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, fields.statusRegister);
  view.setUint16(2, fields.systemId);
  view.setUint16(4, fields.librarySize);
  view.setUint16(6, fields.securityLevel);
  view.setUint32(8, fields.address);
  view.setUint16(12, fields.packetSizeCode);
  view.setUint16(14, fields.baudMultiplier);
  return bytes;
}

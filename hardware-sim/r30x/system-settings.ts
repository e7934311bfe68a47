import { Confirmation } from "../../drivers/r30x/constants.js";
import {
  BAUD_UNIT,
  encodeSystemParameters,
  PACKET_SIZES,
  type PacketSizeCode,
} from "../../drivers/r30x/system-parameters.js";
import type { SimulatedModelProfile } from "./module-profiles.js";

/** SetSysPara parameter numbers. */
export const SystemParameter = { BaudMultiplier: 4, SecurityLevel: 5, PacketSize: 6 } as const;

export const SECURITY_LEVELS = [1, 2, 3, 4, 5] as const;

// Status register bits as the vendor manuals number them.
const STATUS_MATCHED = 1 << 1;
const STATUS_PASSWORD_VERIFIED = 1 << 2;
const STATUS_IMAGE_BUFFER_VALID = 1 << 3;

export interface SystemSettingsInit {
  readonly address: number;
  readonly password: number;
  readonly systemId: number;
  readonly librarySize: number;
  readonly securityLevel: number;
  readonly packetSizeCode: PacketSizeCode;
  readonly baudMultiplier: number;
}

function isPacketSizeCode(value: number): value is PacketSizeCode {
  return Number.isInteger(value) && value >= 0 && value < PACKET_SIZES.length;
}

function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff_ff_ff_ff)
    throw new RangeError(`${name} must be a 32-bit unsigned integer, got ${value}`);
}

/**
 * What the module keeps in flash (address, password, the three SetSysPara
 * registers) plus whether this power cycle has seen the right password.
 */
export class SystemSettings {
  readonly systemId: number;
  readonly librarySize: number;
  address: number;
  password: number;
  securityLevel: number;
  packetSizeCode: PacketSizeCode;
  baudMultiplier: number;
  verified: boolean;

  constructor(
    private readonly profile: SimulatedModelProfile,
    init: SystemSettingsInit,
  ) {
    checkUint32("address", init.address);
    checkUint32("password", init.password);
    if (!SECURITY_LEVELS.includes(init.securityLevel as 1))
      throw new RangeError(`security level must be 1-5, got ${init.securityLevel}`);
    if (!isPacketSizeCode(init.packetSizeCode))
      throw new RangeError(`packet size code must be 0-3, got ${String(init.packetSizeCode)}`);
    if (!profile.baudMultipliers.includes(init.baudMultiplier))
      throw new RangeError(
        `the ${profile.model} runs at 9600 x N with N in ${profile.baudMultipliers.join(", ")}, got ${init.baudMultiplier}`,
      );
    if (!Number.isInteger(init.librarySize) || init.librarySize < 1 || init.librarySize > 0xff_ff)
      throw new RangeError(`library size must be 1-65535, got ${init.librarySize}`);
    this.systemId = init.systemId;
    this.librarySize = init.librarySize;
    this.address = init.address;
    this.password = init.password;
    this.securityLevel = init.securityLevel;
    this.packetSizeCode = init.packetSizeCode;
    this.baudMultiplier = init.baudMultiplier;
    this.verified = init.password === 0;
  }

  get baud(): number {
    return BAUD_UNIT * this.baudMultiplier;
  }

  get packetSize(): number {
    return PACKET_SIZES[this.packetSizeCode];
  }

  /** A power cycle forgets the verification; a module with password 0 needs none. */
  resetSession(): void {
    this.verified = this.password === 0;
  }

  verifyPassword(given: number): boolean {
    this.verified = given === this.password;
    return this.verified;
  }

  /** SetSysPara's answer for this register and value, before anything changes. */
  check(parameter: number, value: number): number {
    switch (parameter) {
      case SystemParameter.BaudMultiplier:
        return this.profile.baudMultipliers.includes(value)
          ? Confirmation.Ok
          : Confirmation.BadRegisterConfiguration;
      case SystemParameter.SecurityLevel:
        return SECURITY_LEVELS.includes(value as 1)
          ? Confirmation.Ok
          : Confirmation.BadRegisterConfiguration;
      case SystemParameter.PacketSize:
        return isPacketSizeCode(value) ? Confirmation.Ok : Confirmation.BadRegisterConfiguration;
      default:
        return Confirmation.InvalidRegister;
    }
  }

  /** Only after check() said Ok, and after the acknowledge has gone out at the old speed. */
  apply(parameter: number, value: number): void {
    if (parameter === SystemParameter.BaudMultiplier) this.baudMultiplier = value;
    else if (parameter === SystemParameter.SecurityLevel) this.securityLevel = value;
    else if (parameter === SystemParameter.PacketSize && isPacketSizeCode(value))
      this.packetSizeCode = value;
  }

  /** ReadSysPara's 16 bytes. */
  encode(status: { imageBufferValid: boolean; matched: boolean }): Uint8Array {
    let register = 0;
    if (status.matched) register |= STATUS_MATCHED;
    if (this.password !== 0 && this.verified) register |= STATUS_PASSWORD_VERIFIED;
    if (status.imageBufferValid) register |= STATUS_IMAGE_BUFFER_VALID;
    return encodeSystemParameters({
      statusRegister: register,
      systemId: this.systemId,
      librarySize: this.librarySize,
      securityLevel: this.securityLevel,
      address: this.address,
      packetSizeCode: this.packetSizeCode,
      baudMultiplier: this.baudMultiplier,
    });
  }
}

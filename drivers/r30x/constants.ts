import { SensorError } from "../sensor.js";

/** Every frame opens with these two bytes (0xEF01). */
export const START_CODE_HIGH = 0xef;
export const START_CODE_LOW = 0x01;

/** The address a module answers to until SetAddr changes it. */
export const DEFAULT_ADDRESS = 0xff_ff_ff_ff;

/** Packet identifiers (the byte after the address). */
export const Pid = {
  Command: 0x01,
  /** A data packet with more to follow. */
  Data: 0x02,
  Acknowledge: 0x07,
  /** The last data packet of a transfer. */
  EndData: 0x08,
} as const;
export type Pid = (typeof Pid)[keyof typeof Pid];

const PIDS: ReadonlySet<number> = new Set(Object.values(Pid));

export function isPid(value: number): value is Pid {
  return PIDS.has(value);
}

/** Instruction codes, the first payload byte of a command packet. */
export const Instruction = {
  GenImg: 0x01,
  Img2Tz: 0x02,
  Match: 0x03,
  Search: 0x04,
  RegModel: 0x05,
  Store: 0x06,
  LoadChar: 0x07,
  UpChar: 0x08,
  DownChar: 0x09,
  UpImage: 0x0a,
  DownImage: 0x0b,
  DeleteChar: 0x0c,
  Empty: 0x0d,
  SetSysPara: 0x0e,
  ReadSysPara: 0x0f,
  SetPwd: 0x12,
  VfyPwd: 0x13,
  GetRandomCode: 0x14,
  SetAddr: 0x15,
  HighSpeedSearch: 0x1b,
  TemplateNum: 0x1d,
  ReadIndexTable: 0x1f,
  GetImageEx: 0x28,
  Cancel: 0x30,
  AuraLedConfig: 0x35,
  CheckSensor: 0x36,
  GetFwVer: 0x3a,
  ReadProdInfo: 0x3c,
  SoftRst: 0x3d,
  // Sources disagree (some libraries send 0x17); 0x40 is what the R503 manual lists.
  HandShake: 0x40,
} as const;
export type InstructionName = keyof typeof Instruction;
export type Instruction = (typeof Instruction)[InstructionName];

/**
 * Whether an instruction may be sent again after its reply was lost (a timeout or
 * a garbled acknowledge). True only where a second copy leaves the module as one
 * copy would and the reply means the same: reads, comparisons, captures into RAM
 * buffers. False where a repeat writes flash twice or acts on state the first copy
 * already changed (RegModel overwrites both character buffers with its result,
 * SetAddr and SetPwd change how the module must be addressed, SoftRst may hit a
 * rebooting module) and for transfers whose data packets the module may still be
 * waiting for (DownChar, DownImage).
 */
export const RETRANSMIT_SAFE: Readonly<Record<InstructionName, boolean>> = {
  GenImg: true,
  Img2Tz: true,
  Match: true,
  Search: true,
  RegModel: false,
  Store: false,
  LoadChar: true,
  UpChar: true,
  DownChar: false,
  UpImage: true,
  DownImage: false,
  DeleteChar: false,
  Empty: false,
  SetSysPara: false,
  ReadSysPara: true,
  SetPwd: false,
  VfyPwd: true,
  GetRandomCode: true,
  SetAddr: false,
  HighSpeedSearch: true,
  TemplateNum: true,
  ReadIndexTable: true,
  GetImageEx: true,
  Cancel: true,
  AuraLedConfig: true,
  CheckSensor: true,
  GetFwVer: true,
  ReadProdInfo: true,
  SoftRst: false,
  HandShake: true,
};

const INSTRUCTION_NAMES: ReadonlyMap<number, InstructionName> = new Map(
  Object.entries(Instruction).map(([name, code]) => [code, name as InstructionName]),
);

/** False for codes outside the table: nothing is known about what they do. */
export function isRetransmitSafe(instruction: number): boolean {
  const name = INSTRUCTION_NAMES.get(instruction);
  return name !== undefined && RETRANSMIT_SAFE[name];
}

/** "GenImg" for 0x01; "instruction 0x42" for codes outside the table. */
export function instructionName(code: number): string {
  return INSTRUCTION_NAMES.get(code) ?? `instruction ${hexByte(code)}`;
}

/** Confirmation codes, the first payload byte of an acknowledge. */
export const Confirmation = {
  Ok: 0x00,
  PacketReceiveError: 0x01,
  NoFinger: 0x02,
  CaptureFailed: 0x03,
  ImageTooMessy: 0x06,
  TooFewFeaturePoints: 0x07,
  NoMatch: 0x08,
  NotFound: 0x09,
  MergeFailed: 0x0a,
  PageOutOfRange: 0x0b,
  BadTemplate: 0x0c,
  UploadError: 0x0d,
  CannotReceiveDataPackets: 0x0e,
  ImageUploadError: 0x0f,
  DeleteFailed: 0x10,
  ClearFailed: 0x11,
  WrongPassword: 0x13,
  NoValidPrimaryImage: 0x15,
  FlashWriteError: 0x18,
  UndefinedError: 0x19,
  InvalidRegister: 0x1a,
  BadRegisterConfiguration: 0x1b,
  BadNotepadPage: 0x1c,
  PortError: 0x1d,
  LibraryFull: 0x1f,
  WrongAddress: 0x20,
  PasswordNotVerified: 0x21,
  TemplateEmpty: 0x22,
  LibraryEmpty: 0x24,
  Timeout: 0x26,
  FingerprintAlreadyExists: 0x27,
  SensorHardwareError: 0x29,
  UnsupportedCommand: 0xfc,
  HardwareError: 0xfd,
  CommandFailed: 0xfe,
} as const;
export type Confirmation = (typeof Confirmation)[keyof typeof Confirmation];

const CONFIRMATION_MESSAGES: Readonly<Record<Confirmation, string>> = {
  [Confirmation.Ok]: "ok",
  [Confirmation.PacketReceiveError]: "packet receive error",
  [Confirmation.NoFinger]: "no finger on the sensor",
  [Confirmation.CaptureFailed]: "enrolment or capture failed",
  [Confirmation.ImageTooMessy]: "image too messy",
  [Confirmation.TooFewFeaturePoints]: "too few feature points",
  [Confirmation.NoMatch]: "no match",
  [Confirmation.NotFound]: "not found",
  [Confirmation.MergeFailed]: "merging the character files failed",
  [Confirmation.PageOutOfRange]: "page out of range",
  [Confirmation.BadTemplate]: "bad template",
  [Confirmation.UploadError]: "upload error",
  [Confirmation.CannotReceiveDataPackets]: "cannot receive data packets",
  [Confirmation.ImageUploadError]: "image upload error",
  [Confirmation.DeleteFailed]: "delete failed",
  [Confirmation.ClearFailed]: "clearing the library failed",
  [Confirmation.WrongPassword]: "wrong password",
  [Confirmation.NoValidPrimaryImage]: "no valid primary image in the image buffer",
  [Confirmation.FlashWriteError]: "flash write error",
  [Confirmation.UndefinedError]: "undefined error",
  [Confirmation.InvalidRegister]: "invalid register",
  [Confirmation.BadRegisterConfiguration]: "bad register configuration",
  [Confirmation.BadNotepadPage]: "bad notepad page",
  [Confirmation.PortError]: "port error",
  [Confirmation.LibraryFull]: "library full",
  [Confirmation.WrongAddress]: "wrong address",
  [Confirmation.PasswordNotVerified]: "the password must be verified first",
  [Confirmation.TemplateEmpty]: "template empty",
  [Confirmation.LibraryEmpty]: "library empty",
  [Confirmation.Timeout]: "timeout",
  [Confirmation.FingerprintAlreadyExists]: "fingerprint already exists",
  [Confirmation.SensorHardwareError]: "sensor hardware error",
  [Confirmation.UnsupportedCommand]: "unsupported command",
  [Confirmation.HardwareError]: "hardware error",
  [Confirmation.CommandFailed]: "command failed",
};

const KNOWN_CONFIRMATIONS: ReadonlySet<number> = new Set(Object.values(Confirmation));

export function isConfirmation(code: number): code is Confirmation {
  return KNOWN_CONFIRMATIONS.has(code);
}

/** A readable message for any confirmation code, including ones outside the table. */
export function confirmationMessage(code: number): string {
  return isConfirmation(code) ? CONFIRMATION_MESSAGES[code] : "unknown confirmation code";
}

/** The SensorError for a module that answered `instruction` with a failure code. */
export function deviceError(instruction: number, code: number): SensorError {
  return new SensorError(
    "device",
    `${instructionName(instruction)}: ${confirmationMessage(code)} (${hexByte(code)})`,
    code,
  );
}

export function hexByte(value: number): string {
  return `0x${value.toString(16).toUpperCase().padStart(2, "0")}`;
}

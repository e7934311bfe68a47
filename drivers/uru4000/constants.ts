/**
 * Wire facts of the DigitalPersona U.are.U 4000/4000B/4500 readers, as published by the
 * libfprint project's reverse engineering (driver "uru4000").
 */

/** DigitalPersona's USB vendor id. */
export const DIGITALPERSONA_VENDOR_ID = 0x05_ba;

/** Interrupt IN endpoint: 64-byte event reports. */
export const INTERRUPT_ENDPOINT = 0x81;
/** Bulk IN endpoint: one image frame per capture. */
export const BULK_ENDPOINT = 0x82;

/** The vendor request that reads or writes a run of registers (wValue = first register). */
export const REGISTER_REQUEST = 0x04;
/** bmRequestType of a vendor, device-recipient register read (IN) and write (OUT). */
export const REQUEST_TYPE_READ = 0xc0;
export const REQUEST_TYPE_WRITE = 0x40;

export const Register = {
  /** Hardware status: bit 7 low-power, bit 2 with bit 7 a confused power state, bit 0 awake. */
  HardwareStatus: 0x07,
  /** Write: key number and a 32-bit seed; asks for that key of the image obfuscation. */
  ScrambleDataIndex: 0x33,
  /** Read 4: the key asked for, XORed with the seed. */
  ScrambleDataKey: 0x34,
  Mode: 0x4e,
  /** 16 bytes of hardware and firmware version. */
  DeviceInfo: 0xf0,
} as const;

export const Mode = {
  Init: 0x00,
  AwaitFingerOn: 0x10,
  AwaitFingerOff: 0x12,
  Capture: 0x20,
  Off: 0x70,
  Ready: 0x80,
} as const;
export type ModeValue = (typeof Mode)[keyof typeof Mode];

export const HardwareStatusBit = {
  LowPower: 0x80,
  Confused: 0x04,
  Awake: 0x01,
} as const;

/** First two bytes (big-endian) of an interrupt report. */
export const InterruptCode = {
  ScanPowerOn: 0x56_aa,
  FingerOn: 0x01_01,
  FingerOff: 0x02_00,
  /** Announces that the next scan will fail (empty transfer). */
  Death: 0x08_00,
} as const;

export const INTERRUPT_LENGTH = 64;
export const IMAGE_WIDTH = 384;
export const IMAGE_HEIGHT = 290;
export const IMAGE_HEADER_LENGTH = 64;
/** What the host asks the bulk endpoint for: a header and every line of the image. */
export const IMAGE_TRANSFER_LENGTH = IMAGE_HEADER_LENGTH + IMAGE_WIDTH * IMAGE_HEIGHT;
export const DEVICE_INFO_LENGTH = 16;
export const RESOLUTION_PPI = 500;

/** Flags of one block descriptor in the image header. */
export const BlockFlag = {
  ChangeKey: 0x80,
  NoKeyUpdate: 0x04,
  Obfuscated: 0x02,
  NotPresent: 0x01,
} as const;
export const BLOCK_COUNT = 15;
/** Header offsets: line count (u16 LE), key number, then 15 (flags, lines) pairs. */
export const HeaderOffset = { LineCount: 4, KeyNumber: 6, Blocks: 16 } as const;

export const Timeouts = {
  controlMs: 1_000,
  bulkMs: 5_000,
  /** The scan-power interrupt after power-up; libfprint retries power-up three times. */
  scanPowerMs: 300,
  /** One interrupt poll while waiting for a finger; the wait itself is the caller's. */
  interruptPollMs: 1_000,
} as const;

export const POWER_UP_ATTEMPTS = 3;
/** Polls of the hardware status register (10 ms apart) before power-up gives up. */
export const HARDWARE_STATUS_POLLS = 100;
export const HARDWARE_STATUS_POLL_MS = 10;

import type { Prng } from "../prints/prng.js";
import type { ImageAnalysis, TemplateGeometry } from "./fingerprint-features.js";
import type { SimulatedModelProfile } from "./module-profiles.js";
import type { SystemSettings } from "./system-settings.js";
import type { TemplateLibrary } from "./template-library.js";

/** The image buffer: 4-bit pixels as UpImage sends them, with its analysis once made. */
export interface HeldImage {
  readonly packed: Uint8Array;
  analysis?: ImageAnalysis;
}

export type CaptureOutcome =
  | { readonly kind: "no-finger" }
  /** The finger source produced something the sensor cannot have taken (wrong size). */
  | { readonly kind: "failed" }
  | { readonly kind: "image"; readonly image: HeldImage };

/** R503 AuraLedConfig's four arguments, as last accepted. */
export interface AuraState {
  readonly control: number;
  readonly speed: number;
  readonly colour: number;
  readonly cycles: number;
}

/**
 * Everything an instruction handler may read or change. The module owns the state;
 * handlers live in one file per group of instructions and see only this.
 */
export interface ModuleContext {
  readonly profile: SimulatedModelProfile;
  readonly settings: SystemSettings;
  readonly library: TemplateLibrary;
  readonly geometry: TemplateGeometry;
  /** CharBuffer1..N at indexes 1..N; index 0 is unused. */
  readonly buffers: (Uint8Array | undefined)[];
  readonly random: Prng;
  image: HeldImage | undefined;
  /** The status register's "pass" bit: the last Match or Search found the finger. */
  matched: boolean;
  aura: AuraState | undefined;
  acknowledge(confirmation: number, parameters?: Uint8Array): void;
  /** Data packets of the configured size after an Ok acknowledge; the last one ends the transfer. */
  sendData(data: Uint8Array): void;
  /** Takes the host's data packets that follow the acknowledge; `onComplete` only for a clean transfer. */
  receiveData(length: number, onComplete: (data: Uint8Array) => void): void;
  capture(): CaptureOutcome;
  /** The power-on sequence, as after SoftRst. */
  restart(): void;
}

export type InstructionHandler = (context: ModuleContext, args: Uint8Array) => void;

export interface InstructionSpec {
  /** Exact argument bytes after the instruction code; anything else is answered 0x01. */
  readonly argumentLength: number;
  readonly run: InstructionHandler;
  /** Answered before VfyPwd when a password is set (everything else gets 0x21). */
  readonly withoutPassword?: boolean;
}

export function readUint16(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
}

export function readUint32(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.length).getUint32(offset);
}

export function uint16Bytes(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  values.forEach((value, i) => {
    bytes[2 * i] = (value >> 8) & 0xff;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

/** A character buffer number the model has, or undefined. */
export function characterBuffer(
  context: ModuleContext,
  id: number | undefined,
): number | undefined {
  return id !== undefined && id >= 1 && id <= context.profile.characterBuffers ? id : undefined;
}

import { Confirmation, DEFAULT_ADDRESS, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame, type R30xFrame } from "../../drivers/r30x/frame.js";
import { packImage } from "../../drivers/r30x/image.js";
import { R30X_MODELS, type R30xModel, type R30xModelProfile } from "../../drivers/r30x/models.js";
import { FrameParser, type ParserDiscard } from "../../drivers/r30x/parser.js";
import {
  encodeSystemParameters,
  PACKET_SIZES,
  type PacketSizeCode,
} from "../../drivers/r30x/system-parameters.js";
import type { GreyImage } from "../../drivers/sensor.js";

export interface SimulatedR30xOptions {
  readonly model?: R30xModel;
  readonly address?: number;
  /** 0 means commands work without VfyPwd, as on a module fresh from the factory. */
  readonly password?: number;
  readonly systemId?: number;
  readonly librarySize?: number;
  readonly securityLevel?: number;
  /** 0/1/2/3 = 32/64/128/256-byte data packets. */
  readonly packetSizeCode?: PacketSizeCode;
  /** N in 9600 x N. */
  readonly baudMultiplier?: number;
}

// Status register bits as the vendor manuals number them.
const STATUS_PASSWORD_VERIFIED = 1 << 2;
const STATUS_IMAGE_BUFFER_VALID = 1 << 3;

const PASSWORD_LENGTH = 4;

/**
 * The device end of the R30x protocol: bytes in through receive(), bytes out
 * through onTransmit listeners, one frame per call. Everything is answered
 * synchronously; the link in between supplies the timing.
 */
export class SimulatedR30xModule {
  readonly profile: R30xModelProfile;
  readonly address: number;
  readonly #password: number;
  readonly #systemId: number;
  readonly #librarySize: number;
  readonly #securityLevel: number;
  readonly #packetSizeCode: PacketSizeCode;
  readonly #baudMultiplier: number;
  readonly #parser: FrameParser;
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  #verified: boolean;
  /** The finger on the glass, already at the 4-bit depth the module works in. */
  #finger: Uint8Array | undefined;
  #imageBuffer: Uint8Array | undefined;

  constructor(options: SimulatedR30xOptions = {}) {
    this.profile = R30X_MODELS[options.model ?? "r307"];
    this.address = options.address ?? DEFAULT_ADDRESS;
    this.#password = options.password ?? 0;
    this.#systemId = options.systemId ?? 0x0009;
    this.#librarySize = options.librarySize ?? 1000;
    this.#securityLevel = options.securityLevel ?? 3;
    this.#packetSizeCode = options.packetSizeCode ?? 2;
    this.#baudMultiplier = options.baudMultiplier ?? 6;
    this.#verified = this.#password === 0;
    this.#parser = new FrameParser({
      onFrame: (frame) => {
        this.#onFrame(frame);
      },
      onDiscard: (discard) => {
        this.#onDiscard(discard);
      },
    });
  }

  get fingerPlaced(): boolean {
    return this.#finger !== undefined;
  }

  /** Bytes from the host, in whatever pieces the line delivered them. */
  receive(chunk: Uint8Array): void {
    this.#parser.push(chunk);
  }

  /** Drops a partly received frame, as the real module's receive timeout would when the line changes hands. */
  resetLine(): void {
    this.#parser.reset();
  }

  /** Returns an unsubscribe function. */
  onTransmit(listener: (bytes: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  placeFinger(image: GreyImage): void {
    const { imageWidth, imageHeight } = this.profile;
    if (image.width !== imageWidth || image.height !== imageHeight) {
      throw new RangeError(
        `a ${this.profile.model} takes ${imageWidth}x${imageHeight} images, got ${image.width}x${image.height}`,
      );
    }
    if (image.pixels.length !== imageWidth * imageHeight) {
      throw new RangeError(
        `expected ${imageWidth * imageHeight} pixels, got ${image.pixels.length}`,
      );
    }
    this.#finger = packImage(image.pixels);
  }

  liftFinger(): void {
    this.#finger = undefined;
  }

  #onDiscard(discard: ParserDiscard): void {
    if (discard.reason === "bad-checksum" && discard.address === this.address) {
      this.#acknowledge(Confirmation.PacketReceiveError);
    }
  }

  #onFrame(frame: R30xFrame): void {
    // Like the real module: frames for another address and stray non-command packets get no answer.
    const instruction = frame.payload[0];
    if (frame.address !== this.address || frame.pid !== Pid.Command || instruction === undefined)
      return;
    const args = frame.payload.subarray(1);
    if (instruction === Instruction.VfyPwd) {
      this.#verifyPassword(args);
      return;
    }
    if (!this.#verified) {
      this.#acknowledge(Confirmation.PasswordNotVerified);
      return;
    }
    switch (instruction) {
      case Instruction.HandShake:
        this.#acknowledge(Confirmation.Ok);
        return;
      case Instruction.ReadSysPara:
        this.#acknowledge(Confirmation.Ok, this.#systemParameters());
        return;
      case Instruction.GenImg:
        this.#imageBuffer = this.#finger;
        this.#acknowledge(this.#finger ? Confirmation.Ok : Confirmation.NoFinger);
        return;
      case Instruction.UpImage:
        this.#uploadImage();
        return;
      default:
        this.#acknowledge(Confirmation.UnsupportedCommand);
    }
  }

  #verifyPassword(args: Uint8Array): void {
    if (args.length !== PASSWORD_LENGTH) {
      this.#acknowledge(Confirmation.PacketReceiveError);
      return;
    }
    const given = new DataView(args.buffer, args.byteOffset, args.length).getUint32(0);
    this.#verified = given === this.#password;
    this.#acknowledge(this.#verified ? Confirmation.Ok : Confirmation.WrongPassword);
  }

  #systemParameters(): Uint8Array {
    let status = 0;
    if (this.#password !== 0 && this.#verified) status |= STATUS_PASSWORD_VERIFIED;
    if (this.#imageBuffer) status |= STATUS_IMAGE_BUFFER_VALID;
    return encodeSystemParameters({
      statusRegister: status,
      systemId: this.#systemId,
      librarySize: this.#librarySize,
      securityLevel: this.#securityLevel,
      address: this.address,
      packetSizeCode: this.#packetSizeCode,
      baudMultiplier: this.#baudMultiplier,
    });
  }

  #uploadImage(): void {
    const image = this.#imageBuffer;
    if (!image) {
      this.#acknowledge(Confirmation.NoValidPrimaryImage);
      return;
    }
    this.#acknowledge(Confirmation.Ok);
    const packetSize = PACKET_SIZES[this.#packetSizeCode];
    for (let offset = 0; offset < image.length; offset += packetSize) {
      const end = Math.min(offset + packetSize, image.length);
      this.#transmit({
        address: this.address,
        pid: end === image.length ? Pid.EndData : Pid.Data,
        payload: image.subarray(offset, end),
      });
    }
  }

  #acknowledge(confirmation: number, parameters: Uint8Array = new Uint8Array(0)): void {
    const payload = new Uint8Array(1 + parameters.length);
    payload[0] = confirmation;
    payload.set(parameters, 1);
    this.#transmit({ address: this.address, pid: Pid.Acknowledge, payload });
  }

  #transmit(frame: R30xFrame): void {
    const bytes = encodeFrame(frame);
    for (const listener of [...this.#listeners]) listener(bytes);
  }
}

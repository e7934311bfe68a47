import { SensorError } from "../sensor.js";
import {
  checkCharBuffer,
  CommandCore,
  packArgs,
  type CharBuffer,
  type CommandOptions,
} from "./commands-core.js";
import { Confirmation, deviceError, Instruction } from "./constants.js";

/** GenImg's outcomes that are not failures. */
export type CaptureResult = "captured" | "no-finger";

/** Img2Tz's outcomes: the last two are about the finger, and the cure is another capture. */
export type FeatureResult = "extracted" | "image-too-messy" | "too-few-feature-points";

/** The image buffer and feature extraction: GenImg, Img2Tz, UpImage, DownImage. */
export class CaptureCommands extends CommandCore {
  /** Captures into the module's image buffer; "no-finger" when the sensor is clear. */
  async genImg(options: CommandOptions = {}): Promise<CaptureResult> {
    const reply = await this.send(Instruction.GenImg, options);
    if (reply.confirmation === Confirmation.Ok) return "captured";
    if (reply.confirmation === Confirmation.NoFinger) return "no-finger";
    throw deviceError(Instruction.GenImg, reply.confirmation);
  }

  /** Turns the image buffer into a character file in `buffer`. */
  async img2Tz(buffer: CharBuffer, options: CommandOptions = {}): Promise<FeatureResult> {
    checkCharBuffer(buffer);
    const reply = await this.send(Instruction.Img2Tz, options, { args: packArgs([buffer, 1]) });
    switch (reply.confirmation) {
      case Confirmation.Ok:
        return "extracted";
      case Confirmation.ImageTooMessy:
        return "image-too-messy";
      case Confirmation.TooFewFeaturePoints:
        return "too-few-feature-points";
      default:
        throw deviceError(Instruction.Img2Tz, reply.confirmation);
    }
  }

  /**
   * The image buffer, exactly `byteCount` bytes of packed pixels (see image.ts);
   * the time limit defaults to what the transfer needs at the current packet size.
   */
  async upImage(byteCount: number, options: CommandOptions = {}): Promise<Uint8Array> {
    const reply = await this.expectOk(
      Instruction.UpImage,
      this.transferOptions(byteCount, options),
      {
        dataLimit: byteCount,
        checkReply: ({ data }) => {
          if (data.length !== byteCount) {
            throw new SensorError(
              "protocol",
              `UpImage sent ${data.length} bytes, expected ${byteCount}`,
            );
          }
        },
      },
    );
    return reply.data;
  }

  /** Replaces the image buffer with `packed` pixels (see packImage), e.g. to extract features from a stored image. */
  async downImage(packed: Uint8Array, options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.DownImage, this.transferOptions(packed.length, options), {
      outbound: packed,
    });
  }
}

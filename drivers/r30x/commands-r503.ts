import { encodeAura, type AuraSetting } from "./aura.js";
import type { CaptureResult } from "./commands-capture.js";
import type { CommandOptions } from "./commands-core.js";
import { SystemCommands } from "./commands-system.js";
import { Confirmation, deviceError, Instruction } from "./constants.js";
import { decodeAsciiField, decodeProductInfo, type ProductInfo } from "./product-info.js";

/** GetImageEx also refuses a poor image, which only another placement can cure. */
export type CaptureExResult = CaptureResult | "poor-image";

/** CheckSensor's verdict; "faulty" is the answer asked for, not a failure to answer. */
export type SensorHealth = "ok" | "faulty";

/**
 * Instructions only the R503 (and later Grow modules) understand; the classic
 * modules answer them with 0xFC "unsupported command".
 */
export class R503Commands extends SystemCommands {
  /** GenImg that also judges the image: "poor-image" instead of capturing a bad one. */
  async getImageEx(options: CommandOptions = {}): Promise<CaptureExResult> {
    const reply = await this.send(Instruction.GetImageEx, options);
    switch (reply.confirmation) {
      case Confirmation.Ok:
        return "captured";
      case Confirmation.NoFinger:
        return "no-finger";
      case Confirmation.TooFewFeaturePoints:
        return "poor-image";
      default:
        throw deviceError(Instruction.GetImageEx, reply.confirmation);
    }
  }

  /** Sets the aura LED ring (AuraLedConfig). */
  async setAura(setting: AuraSetting, options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.AuraLedConfig, options, { args: encodeAura(setting) });
  }

  async checkSensor(options: CommandOptions = {}): Promise<SensorHealth> {
    const reply = await this.send(Instruction.CheckSensor, options);
    if (reply.confirmation === Confirmation.Ok) return "ok";
    if (reply.confirmation === Confirmation.SensorHardwareError) return "faulty";
    throw deviceError(Instruction.CheckSensor, reply.confirmation);
  }

  /** The firmware's own version text. */
  async getFirmwareVersion(options: CommandOptions = {}): Promise<string> {
    const reply = await this.expectOk(Instruction.GetFwVer, options);
    return decodeAsciiField(reply.parameters);
  }

  async readProductInfo(options: CommandOptions = {}): Promise<ProductInfo> {
    const reply = await this.expectOk(Instruction.ReadProdInfo, options);
    return decodeProductInfo(reply.parameters);
  }

  /**
   * Acknowledged before the module restarts; it then ignores commands until it
   * sends its 0x55 ready byte (about 50 ms), which the frame parser skips.
   */
  async softReset(options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.SoftRst, options);
  }

  /** Stops an automatic enrolment or identification the module is running on its own. */
  async cancel(options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.Cancel, options);
  }
}

import type { ByteLink, OpenByteLink } from "../link/byte-link.js";
import { SensorError } from "../sensor.js";
import { CommandChannel, type DriverLogger } from "./command-channel.js";
import { R30xCommands } from "./commands.js";
import { isLineError } from "./commands-core.js";
import type { R30xModelProfile } from "./models.js";
import type { ProductInfo } from "./product-info.js";
import type { SystemParameters } from "./system-parameters.js";

/** Everything needed to reach one module; the baud rate is chosen per attempt. */
export interface LinkTarget {
  readonly openLink: OpenByteLink;
  readonly path: string;
  readonly address: number;
  readonly password: number;
  readonly profile: R30xModelProfile;
  /** Names the sensor in errors and logs. */
  readonly label: string;
  readonly logger?: DriverLogger | undefined;
}

/**
 * The opening exchanges are a few dozen bytes each (about 30 ms at 9600 baud), so a
 * module that has not answered in half a second is not going to.
 */
const OPEN_TIMEOUT_MS = 500;

/** An open, authenticated line to a module at a known baud rate. */
export interface LinkSession {
  readonly link: ByteLink;
  readonly channel: CommandChannel;
  readonly commands: R30xCommands;
  readonly baud: number;
  readonly parameters: SystemParameters;
  /** Only modules that have ReadProdInfo (the R503) tell their own image size. */
  readonly productInfo: ProductInfo | undefined;
  close(reason: string): Promise<void>;
}

/**
 * Opens the line at `baud`, proves a module answers there (VfyPwd, which every
 * family member has, then HandShake where the model has it), and reads what it says
 * about itself. On failure the line is closed again before the error propagates.
 */
export async function openLinkSession(
  target: LinkTarget,
  baud: number,
  options: {
    readonly signal: AbortSignal;
    readonly timeoutMs?: number;
    readonly retransmit?: boolean;
  },
): Promise<LinkSession> {
  const link = await target.openLink(target.path, baud, options.signal);
  const channel = new CommandChannel(link, {
    address: target.address,
    label: target.label,
    logger: target.logger,
  });
  const commands = new R30xCommands(channel, { baud });
  const close = async (reason: string): Promise<void> => {
    channel.shutdown(new SensorError("disconnected", `${target.label}: ${reason}`));
    await link.close();
  };
  const command = {
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? OPEN_TIMEOUT_MS,
    retransmit: options.retransmit,
  };
  try {
    await commands.verifyPassword(target.password, command);
    if (target.profile.indicator) await commands.handshake(command);
    const parameters = await commands.readSystemParameters(command);
    const productInfo = target.profile.indicator
      ? await commands.readProductInfo(command)
      : undefined;
    return { link, channel, commands, baud, parameters, productInfo, close };
  } catch (error) {
    await close("open failed");
    throw error;
  }
}

/**
 * Nothing intelligible at this rate (silence, garbage, or the module hearing garbage),
 * as opposed to a module that understood and said no.
 */
export function isSilence(error: unknown): boolean {
  return isLineError(error);
}

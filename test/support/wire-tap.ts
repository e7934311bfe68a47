import type { ByteLink, OpenByteLink } from "../../drivers/link/byte-link.js";
import { openByteLink } from "../../drivers/link/open-byte-link.js";
import { DEFAULT_ADDRESS, Pid } from "../../drivers/r30x/constants.js";
import { FrameParser, type ParserDiscard } from "../../drivers/r30x/parser.js";

/** A command the driver wrote, and what became of it. Times are performance.now(). */
export interface TappedCommand {
  readonly instruction: number;
  readonly at: number;
  /** When the first acknowledge after it arrived (whichever command it answered). */
  firstAckAt: number | undefined;
  /** The driver sent another command before any acknowledge came: it gave up waiting. */
  overtaken: boolean;
}

export interface TappedAck {
  readonly confirmation: number;
  readonly at: number;
}

/**
 * Watches, from the driver's side of the real serial port, what crosses the line:
 * every command written, every acknowledge received, frames from a foreign address
 * and bytes that formed no frame. Nothing is altered; the driver opens links through
 * `openLink`, which wraps the real serialport binding. Each observation is timed, so
 * a test can tell when a fault first showed and what the driver did afterwards.
 */
export class WireTap {
  readonly commands: TappedCommand[] = [];
  readonly acks: TappedAck[] = [];
  /** When a frame from another address than `address` arrived. */
  readonly foreignFrames: number[] = [];
  readonly discards: (ParserDiscard & { readonly at: number })[] = [];
  /** Links opened, successful or not later. */
  opens = 0;
  /** Commands written and not yet followed by any acknowledge, overtaken ones included. */
  #waiting: TappedCommand[] = [];

  constructor(
    private readonly address: number = DEFAULT_ADDRESS,
    private readonly open: OpenByteLink = openByteLink,
  ) {}

  readonly openLink: OpenByteLink = async (path, baud, signal) => {
    const link = await this.open(path, baud, signal);
    this.opens++;
    // Whatever was awaited on the previous line is not overtaken by this one's traffic.
    this.#waiting = [];
    return this.#tap(link);
  };

  /** Commands that went unanswered until the driver sent another one. */
  get overtaken(): readonly TappedCommand[] {
    return this.commands.filter((command) => command.overtaken);
  }

  /** The longest wait from a command to the first acknowledge after it. */
  get slowestReplyMs(): number {
    let slowest = 0;
    for (const command of this.commands)
      if (command.firstAckAt !== undefined)
        slowest = Math.max(slowest, command.firstAckAt - command.at);
    return slowest;
  }

  #tap(link: ByteLink): ByteLink {
    const outgoing = new FrameParser({
      onFrame: (frame) => {
        if (frame.pid !== Pid.Command) return;
        for (const earlier of this.#waiting) earlier.overtaken = true;
        const command: TappedCommand = {
          instruction: frame.payload[0] ?? -1,
          at: performance.now(),
          firstAckAt: undefined,
          overtaken: false,
        };
        this.commands.push(command);
        this.#waiting.push(command);
      },
    });
    const incoming = new FrameParser({
      onFrame: (frame) => {
        const at = performance.now();
        if (frame.address !== this.address) {
          this.foreignFrames.push(at);
          return;
        }
        if (frame.pid !== Pid.Acknowledge) return;
        this.acks.push({ confirmation: frame.payload[0] ?? -1, at });
        for (const command of this.#waiting) command.firstAckAt = at;
        this.#waiting = [];
      },
      onDiscard: (discard) => {
        this.discards.push({ ...discard, at: performance.now() });
      },
    });
    // Subscribed before the driver's channel, so every arrival is timed before it is acted on.
    link.onData((chunk) => {
      incoming.push(chunk);
    });
    return {
      write: (bytes) => {
        outgoing.push(bytes);
        return link.write(bytes);
      },
      onData: (listener) => link.onData(listener),
      onClose: (listener) => link.onClose(listener),
      close: () => link.close(),
    };
  }
}

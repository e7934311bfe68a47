import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ByteLink } from "../../drivers/link/byte-link.js";
import { openByteLink } from "../../drivers/link/open-byte-link.js";
import { CommandChannel } from "../../drivers/r30x/command-channel.js";
import { R30xCommands } from "../../drivers/r30x/commands.js";
import { DEFAULT_ADDRESS, Pid } from "../../drivers/r30x/constants.js";
import type { R30xFrame } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { socatInstalled } from "../../hardware-sim/r30x/pty-bridge.js";
import {
  startSerialSimulator,
  type SerialSimulator,
  type SerialSimulatorEvent,
} from "../../hardware-sim/r30x/serial-simulator.js";
import type {
  SimulatedR30xModule,
  SimulatedR30xOptions,
} from "../../hardware-sim/r30x/simulated-module.js";

/** Why the pseudo-terminal suites skip, or undefined when they can run. */
export const ptySkipReason: string | undefined = socatInstalled()
  ? undefined
  : "socat is not installed; it makes the pseudo-terminal (apt-get install -y socat)";

export type TimedSimulatorEvent = SerialSimulatorEvent & { readonly at: number };

/** A simulated module behind a real pseudo-terminal, as `basma-sim serial --no-line-timing` runs it. */
export interface PtyModule {
  readonly simulator: SerialSimulator;
  readonly module: SimulatedR30xModule;
  readonly linkPath: string;
  /** What the simulator reported (unplugs, replugs), in order, with performance.now() times. */
  readonly events: readonly TimedSimulatorEvent[];
  close(): Promise<void>;
}

export async function startPtyModule(options: SimulatedR30xOptions): Promise<PtyModule> {
  const dir = await mkdtemp(join(tmpdir(), "basma-pty-"));
  const events: TimedSimulatorEvent[] = [];
  let simulator: SerialSimulator;
  try {
    simulator = await startSerialSimulator({
      linkPath: join(dir, "ttyFP0"),
      lineTiming: false,
      module: options,
      onEvent: (event) => events.push({ ...event, at: performance.now() }),
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    simulator,
    module: simulator.module,
    linkPath: simulator.linkPath,
    events,
    close: async () => {
      await simulator.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What the host received, parsed separately from the driver's own parser. */
export interface ReceivedLog {
  /** Every frame, in order of arrival. */
  readonly frames: R30xFrame[];
  /** Bytes that formed no frame: an R503's 0x55 ready signal, or line damage. */
  strayBytes(): number;
  /** The payload sizes of the data packets from frames[since] on. */
  dataPacketSizes(since: number): number[];
}

function receivedLog(link: ByteLink): ReceivedLog {
  const frames: R30xFrame[] = [];
  let stray = 0;
  const parser = new FrameParser({
    onFrame: (frame) => frames.push(frame),
    onDiscard: (discard) => {
      stray += discard.byteCount;
    },
  });
  link.onData((chunk) => {
    parser.push(chunk);
  });
  return {
    frames,
    strayBytes: () => stray,
    dataPacketSizes: (since) =>
      frames
        .slice(since)
        .filter((frame) => frame.pid === Pid.Data || frame.pid === Pid.EndData)
        .map((frame) => frame.payload.length),
  };
}

/** The command layer on the real serialport binding, with a record of what came back. */
export interface PtyHost {
  readonly link: ByteLink;
  readonly channel: CommandChannel;
  readonly commands: R30xCommands;
  readonly received: ReceivedLog;
  /** Another channel on the same line, e.g. to address the module where it no longer is. */
  channelAt(address: number): CommandChannel;
  close(): Promise<void>;
}

export async function openPtyHost(
  path: string,
  options: { readonly address?: number; readonly baud?: number } = {},
): Promise<PtyHost> {
  const baud = options.baud ?? 57_600;
  const link = await openByteLink(path, baud);
  const received = receivedLog(link);
  const channel = new CommandChannel(link, {
    address: options.address ?? DEFAULT_ADDRESS,
    label: path,
  });
  return {
    link,
    channel,
    commands: new R30xCommands(channel, { baud }),
    received,
    channelAt: (address) => new CommandChannel(link, { address, label: `${path} @${address}` }),
    close: () => link.close(),
  };
}

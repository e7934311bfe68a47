import { describe, expect, it } from "vitest";
import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import { CommandChannel } from "../../drivers/r30x/command-channel.js";
import { R30xCommands } from "../../drivers/r30x/commands.js";
import { Confirmation, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame, type R30xFrame } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { encodeSystemParameters } from "../../drivers/r30x/system-parameters.js";
import { isSensorError } from "../../drivers/sensor.js";
import { loseBytesOnClosedLine } from "../support/closed-line.js";
import { hex } from "../support/bytes.js";
import { ack } from "../support/r30x-fixtures.js";

const ADDRESS = 0xff_ff_ff_ff;
const NEW_ADDRESS = 0x12_34_56_78;

function dataPackets(data: Uint8Array, size: number): Uint8Array[] {
  const packets: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += size) {
    const end = Math.min(offset + size, data.length);
    const pid = end === data.length ? Pid.EndData : Pid.Data;
    packets.push(encodeFrame({ address: ADDRESS, pid, payload: data.subarray(offset, end) }));
  }
  return packets;
}

function pattern(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
}

/** Lets the memory link deliver what was written before this call. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type Answer = (frame: R30xFrame) => readonly Uint8Array[] | undefined;

/** A module that answers command frames with `answer` and records every frame it receives. */
function scripted(answer: Answer): { commands: R30xCommands; frames: R30xFrame[] } {
  const { host, device } = createMemoryLinkPair();
  const frames: R30xFrame[] = [];
  const parser = new FrameParser({
    onFrame: (frame) => {
      frames.push(frame);
      if (frame.pid !== Pid.Command) return;
      for (const bytes of answer(frame) ?? []) device.write(bytes).catch(loseBytesOnClosedLine);
    },
  });
  device.onData((chunk) => {
    parser.push(chunk);
  });
  const channel = new CommandChannel(host, { address: ADDRESS, label: "test" });
  return { commands: new R30xCommands(channel), frames };
}

/** The data packets among `frames`: payload sizes, PIDs and the joined payload. */
function outbound(frames: readonly R30xFrame[]): {
  sizes: number[];
  pids: number[];
  data: Uint8Array;
} {
  const packets = frames.filter((f) => f.pid === Pid.Data || f.pid === Pid.EndData);
  return {
    sizes: packets.map((f) => f.payload.length),
    pids: packets.map((f) => f.pid),
    data: Uint8Array.from(packets.flatMap((f) => [...f.payload])),
  };
}

const okToAll: Answer = () => [ack(Confirmation.Ok)];

describe("R30x outbound transfers", () => {
  it("sends a DownChar template as data packets only after the module's Ok", async () => {
    const { commands, frames } = scripted(() => [ack(Confirmation.Ok)]);
    const sent = commands.downChar(1, pattern(300));
    await flush();
    // The command has arrived; its acknowledge is still on its way back.
    const packetsBeforeAck = outbound(frames).sizes.length;
    await sent;
    await flush();
    expect(packetsBeforeAck).toBe(0);
    expect(frames[0]?.payload).toEqual(hex("09 01"));
    const { sizes, pids, data } = outbound(frames);
    expect(sizes).toEqual([128, 128, 44]);
    expect(pids).toEqual([Pid.Data, Pid.Data, Pid.EndData]);
    expect(data).toEqual(pattern(300));
    expect(frames.every((f) => f.address === ADDRESS)).toBe(true);
  });

  it("sends nothing when the module refuses the download", async () => {
    const { commands, frames } = scripted(() => [ack(Confirmation.CannotReceiveDataPackets)]);
    const error = await commands.downChar(2, pattern(100)).catch((e: unknown) => e);
    await flush();
    expect(isSensorError(error, "device")).toBe(true);
    expect(error).toMatchObject({ deviceCode: Confirmation.CannotReceiveDataPackets });
    expect(frames.map((f) => f.pid)).toEqual([Pid.Command]);
  });

  it("sends a whole 256 x 288 image with DownImage", async () => {
    const { commands, frames } = scripted(okToAll);
    const image = pattern(36_864);
    await commands.downImage(image);
    await flush();
    expect(frames[0]?.payload).toEqual(Uint8Array.of(Instruction.DownImage));
    const { sizes, pids, data } = outbound(frames);
    expect(sizes).toEqual(Array.from({ length: 288 }, () => 128));
    expect(pids.at(-1)).toBe(Pid.EndData);
    expect(pids.slice(0, -1).every((pid) => pid === Pid.Data)).toBe(true);
    expect(data).toEqual(image);
  });

  it("uses a packet size set with SetSysPara for every later transfer", async () => {
    let refuse = false;
    const { commands, frames } = scripted((frame) =>
      refuse && frame.payload[0] === Instruction.SetSysPara
        ? [ack(Confirmation.InvalidRegister)]
        : [ack(Confirmation.Ok)],
    );
    await commands.setSystemParameter({ parameter: "packet-size", bytes: 32 });
    await commands.downChar(1, pattern(100));
    await flush();
    expect(outbound(frames).sizes).toEqual([32, 32, 32, 4]);

    refuse = true;
    frames.length = 0;
    const error = await commands
      .setSystemParameter({ parameter: "packet-size", bytes: 256 })
      .catch((e: unknown) => e);
    expect(isSensorError(error, "device")).toBe(true);
    await commands.downImage(pattern(64));
    await flush();
    expect(outbound(frames).sizes).toEqual([32, 32]);
  });

  it("applies the new packet size to a transfer queued behind SetSysPara", async () => {
    const { commands, frames } = scripted(okToAll);
    await Promise.all([
      commands.setSystemParameter({ parameter: "packet-size", bytes: 64 }),
      commands.downChar(1, pattern(130)),
    ]);
    await flush();
    expect(outbound(frames).sizes).toEqual([64, 64, 2]);
  });

  it("adopts the packet size ReadSysPara reports", async () => {
    const parameters = encodeSystemParameters({
      statusRegister: 0,
      systemId: 9,
      librarySize: 1000,
      securityLevel: 3,
      address: ADDRESS,
      packetSizeCode: 3,
      baudMultiplier: 6,
    });
    const { commands, frames } = scripted((frame) =>
      frame.payload[0] === Instruction.ReadSysPara
        ? [ack(Confirmation.Ok, parameters)]
        : [ack(Confirmation.Ok)],
    );
    await commands.readSystemParameters();
    await commands.downChar(1, pattern(600));
    await flush();
    expect(outbound(frames).sizes).toEqual([256, 256, 88]);
  });
});

describe("R30x inbound transfers", () => {
  it("collects an UpChar template from the data packets", async () => {
    const template = pattern(512);
    const { commands, frames } = scripted(() => [
      ack(Confirmation.Ok),
      ...dataPackets(template, 128),
    ]);
    await expect(commands.upChar(2, 512)).resolves.toEqual(template);
    expect(frames[0]?.payload).toEqual(hex("08 02"));
  });

  it("refuses a template larger than asked for, naming only its size", async () => {
    const { commands } = scripted(() => [ack(Confirmation.Ok), ...dataPackets(pattern(512), 128)]);
    const error = await commands.upChar(1, 256).catch((e: unknown) => e);
    expect(isSensorError(error, "protocol")).toBe(true);
    expect((error as Error).message).toContain("more than 256 data bytes");
  });

  it("checks the size of an uploaded image", async () => {
    const image = pattern(192 * 96);
    const { commands } = scripted(() => [ack(Confirmation.Ok), ...dataPackets(image, 256)]);
    await expect(commands.upImage(image.length)).resolves.toEqual(image);
    const short = await commands.upImage(image.length + 2).catch((e: unknown) => e);
    expect(isSensorError(short, "protocol")).toBe(true);
  });

  it("reports a failed upload as a device error", async () => {
    const { commands } = scripted(() => [ack(Confirmation.UploadError)]);
    await expect(commands.upChar(1, 512)).rejects.toThrow("UpChar: upload error (0x0D)");
  });
});

describe("R30x SetAddr", () => {
  it("accepts the reply from the new address and addresses later commands to it", async () => {
    const { commands, frames } = scripted((frame) => [ack(Confirmation.Ok, [], frame.address)]);
    await commands.setAddress(NEW_ADDRESS);
    expect(frames[0]?.payload).toEqual(hex("15 12 34 56 78"));
    expect(frames[0]?.address).toBe(ADDRESS);
    await commands.handshake();
    expect(frames[1]?.address).toBe(NEW_ADDRESS);
  });

  it("keeps the old address when the module refuses", async () => {
    const { commands, frames } = scripted(() => [ack(Confirmation.FlashWriteError)]);
    await expect(commands.setAddress(NEW_ADDRESS)).rejects.toThrow(/flash write error/);
    await commands.handshake().catch(() => undefined);
    expect(frames.map((f) => f.address)).toEqual([ADDRESS, ADDRESS]);
  });

  it("ignores a reply from the new address once the change has failed", async () => {
    const { commands } = scripted((frame) =>
      frame.payload[0] === Instruction.SetAddr
        ? [ack(Confirmation.FlashWriteError)]
        : [ack(Confirmation.Ok, [], NEW_ADDRESS)],
    );
    await expect(commands.setAddress(NEW_ADDRESS)).rejects.toThrow();
    const error = await commands.handshake({ timeoutMs: 50 }).catch((e: unknown) => e);
    expect(isSensorError(error, "no-reply")).toBe(true);
  });
});

describe("retransmission on a lossy line", () => {
  /** Answers every request except the first `lose` of each instruction, as a noisy cable would. */
  function lossy(lose: number) {
    const seen = new Map<number, number>();
    return scripted((frame) => {
      const instruction = frame.payload[0] ?? 0;
      const count = (seen.get(instruction) ?? 0) + 1;
      seen.set(instruction, count);
      if (count <= lose) return [];
      return instruction === Instruction.ReadSysPara
        ? [
            ack(
              Confirmation.Ok,
              encodeSystemParameters({
                statusRegister: 0,
                systemId: 9,
                librarySize: 1000,
                securityLevel: 3,
                address: ADDRESS,
                packetSizeCode: 2,
                baudMultiplier: 6,
              }),
            ),
          ]
        : [ack(Confirmation.Ok)];
    });
  }

  it("sends a read-only command again when its reply is lost", async () => {
    const { commands, frames } = lossy(2);
    const parameters = await commands.readSystemParameters({ timeoutMs: 30 });
    expect(parameters.packetSize).toBe(128);
    expect(frames.filter((f) => f.payload[0] === Instruction.ReadSysPara)).toHaveLength(3);
  });

  it("gives up with no-reply after the retransmissions run out", async () => {
    const { commands, frames } = lossy(99);
    const error = await commands.templateCount({ timeoutMs: 20 }).catch((e: unknown) => e);
    expect(isSensorError(error, "no-reply")).toBe(true);
    expect(frames.filter((f) => f.payload[0] === Instruction.TemplateNum)).toHaveLength(3);
  });

  it("never repeats a command that changes the module", async () => {
    const { commands, frames } = lossy(1);
    const error = await commands
      .deleteChar({ start: 5, count: 1 }, { timeoutMs: 30 })
      .catch((e: unknown) => e);
    expect(isSensorError(error, "no-reply")).toBe(true);
    expect(frames.filter((f) => f.payload[0] === Instruction.DeleteChar)).toHaveLength(1);
  });
});

describe("retransmission of damaged transfers", () => {
  it("fetches an image again when one of its packets was lost on the line", async () => {
    const image = pattern(1024);
    let uploads = 0;
    const { commands } = scripted((frame) => {
      if (frame.payload[0] !== Instruction.UpImage) return [];
      uploads++;
      const packets = dataPackets(image, 128);
      // The first time, the fourth packet never arrives; the last one still ends the transfer.
      return [ack(Confirmation.Ok), ...packets.filter((_, i) => uploads > 1 || i !== 3)];
    });
    const received = await commands.upImage(1024, { timeoutMs: 200 });
    expect(Buffer.from(received).equals(Buffer.from(image))).toBe(true);
    expect(uploads).toBe(2);
  });

  it("sends a request again when the module reports it arrived garbled (0x01)", async () => {
    let requests = 0;
    const { commands } = scripted((frame) => {
      if (frame.payload[0] !== Instruction.TemplateNum) return [];
      requests++;
      return [requests === 1 ? ack(Confirmation.PacketReceiveError) : ack(Confirmation.Ok, [0, 7])];
    });
    await expect(commands.templateCount({ timeoutMs: 100 })).resolves.toBe(7);
    expect(requests).toBe(2);
  });

  it("does not repeat a module-changing command the module reported garbled", async () => {
    let requests = 0;
    const { commands } = scripted((frame) => {
      if (frame.payload[0] !== Instruction.Empty) return [];
      requests++;
      return [ack(Confirmation.PacketReceiveError)];
    });
    await expect(commands.empty({ timeoutMs: 100 })).rejects.toMatchObject({ deviceCode: 0x01 });
    expect(requests).toBe(1);
  });
});

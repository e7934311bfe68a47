import { describe, expect, it } from "vitest";
import type { ByteLink } from "../../drivers/link/byte-link.js";
import { createMemoryLinkPair } from "../../drivers/link/memory-link.js";
import { CommandChannel } from "../../drivers/r30x/command-channel.js";
import { Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame, type R30xFrame } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { isSensorError } from "../../drivers/sensor.js";
import { loseBytesOnClosedLine } from "../support/closed-line.js";
import { ack } from "../support/r30x-fixtures.js";

const ADDRESS = 0xff_ff_ff_ff;

/** A scripted device: `answer` decides the bytes sent back for each instruction. */
function scripted(answer: (instruction: number) => Uint8Array[] | undefined): {
  channel: CommandChannel;
  device: ByteLink;
} {
  const { host, device } = createMemoryLinkPair();
  const parser = new FrameParser({
    onFrame: (frame) => {
      for (const bytes of answer(frame.payload[0] ?? -1) ?? [])
        device.write(bytes).catch(loseBytesOnClosedLine);
    },
  });
  device.onData((chunk) => {
    parser.push(chunk);
  });
  return { channel: new CommandChannel(host, { address: ADDRESS, label: "test" }), device };
}

describe("CommandChannel", () => {
  it("runs queued commands one at a time, each with its own reply", async () => {
    const { channel } = scripted((instruction) => [ack(0x00, [instruction])]);
    const replies = await Promise.all(
      [Instruction.GenImg, Instruction.ReadSysPara, Instruction.HandShake].map((instruction) =>
        channel.execute({ instruction, timeoutMs: 500 }),
      ),
    );
    expect(replies.map((r) => r.parameters[0])).toEqual([
      Instruction.GenImg,
      Instruction.ReadSysPara,
      Instruction.HandShake,
    ]);
  });

  it("collects data packets after an Ok acknowledge", async () => {
    const data = (pid: Pid, ...bytes: number[]): Uint8Array =>
      encodeFrame({ address: ADDRESS, pid, payload: Uint8Array.of(...bytes) });
    const { channel } = scripted(() => [
      ack(0x00),
      data(Pid.Data, 1, 2),
      data(Pid.Data, 3),
      data(Pid.EndData, 4),
    ]);
    const reply = await channel.execute({
      instruction: Instruction.UpImage,
      dataLimit: 4,
      timeoutMs: 500,
    });
    expect([...reply.data]).toEqual([1, 2, 3, 4]);
    const tooMuch = await channel
      .execute({ instruction: Instruction.UpImage, dataLimit: 3, timeoutMs: 500 })
      .catch((e: unknown) => e);
    expect(isSensorError(tooMuch, "protocol")).toBe(true);
  });

  it("does not collect data after a failure code", async () => {
    const { channel } = scripted(() => [ack(0x15)]);
    const reply = await channel.execute({
      instruction: Instruction.UpImage,
      dataLimit: 100,
      timeoutMs: 500,
    });
    expect(reply.confirmation).toBe(0x15);
    expect(reply.data.length).toBe(0);
  });

  it("times out a command that gets no reply and goes on with the next", async () => {
    const { channel } = scripted((instruction) =>
      instruction === Instruction.GenImg ? undefined : [ack(0x00)],
    );
    const error = await channel
      .execute({ instruction: Instruction.GenImg, timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(isSensorError(error, "no-reply")).toBe(true);
    expect((error as Error).message).toBe("test: GenImg: no reply within 50 ms");
    await expect(
      channel.execute({ instruction: Instruction.HandShake, timeoutMs: 500 }),
    ).resolves.toMatchObject({ confirmation: 0 });
  });

  it("never hands an aborted command's late reply to the next command", async () => {
    let genImgReplies = 0;
    const { host, device } = createMemoryLinkPair();
    const channel = new CommandChannel(host, { address: ADDRESS, label: "test" });
    const parser = new FrameParser({
      onFrame: (frame) => {
        const instruction = frame.payload[0];
        // GenImg answers late with a distinctive parameter byte; HandShake at once.
        if (instruction === Instruction.GenImg) {
          setTimeout(() => {
            genImgReplies++;
            device.write(ack(0x00, [0xaa])).catch(loseBytesOnClosedLine);
          }, 40);
        } else device.write(ack(0x00, [0xbb])).catch(loseBytesOnClosedLine);
      },
    });
    device.onData((chunk) => {
      parser.push(chunk);
    });
    const controller = new AbortController();
    const aborted = channel.execute({
      instruction: Instruction.GenImg,
      timeoutMs: 1_000,
      signal: controller.signal,
    });
    setTimeout(() => {
      controller.abort();
    }, 5);
    expect(isSensorError(await aborted.catch((e: unknown) => e), "aborted")).toBe(true);
    const next = await channel.execute({ instruction: Instruction.HandShake, timeoutMs: 1_000 });
    expect(genImgReplies).toBe(1);
    expect(next.parameters[0]).toBe(0xbb);
  });

  it("drops a queued command whose signal fires before it is sent", async () => {
    const { channel } = scripted(() => [ack(0x00)]);
    const controller = new AbortController();
    const first = channel.execute({ instruction: Instruction.GenImg, timeoutMs: 500 });
    const second = channel.execute({
      instruction: Instruction.HandShake,
      timeoutMs: 500,
      signal: controller.signal,
    });
    controller.abort();
    expect(isSensorError(await second.catch((e: unknown) => e), "aborted")).toBe(true);
    await expect(first).resolves.toMatchObject({ confirmation: 0 });
  });

  it("fails everything with 'disconnected' when the link closes", async () => {
    const { channel, device } = scripted(() => undefined);
    const pending = channel
      .execute({ instruction: Instruction.GenImg, timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    const queued = channel
      .execute({ instruction: Instruction.GenImg, timeoutMs: 5_000 })
      .catch((e: unknown) => e);
    await device.close();
    expect(isSensorError(await pending, "disconnected")).toBe(true);
    expect(isSensorError(await queued, "disconnected")).toBe(true);
    const later = await channel
      .execute({ instruction: Instruction.GenImg, timeoutMs: 50 })
      .catch((e: unknown) => e);
    expect(isSensorError(later, "disconnected")).toBe(true);
  });
});

describe("CommandChannel outbound data and settings", () => {
  /** A device that acknowledges every command Ok and records every frame it receives. */
  function recording(): { channel: CommandChannel; frames: R30xFrame[] } {
    const { host, device } = createMemoryLinkPair();
    const frames: R30xFrame[] = [];
    const parser = new FrameParser({
      onFrame: (frame) => {
        frames.push(frame);
        if (frame.pid === Pid.Command) device.write(ack(0x00)).catch(loseBytesOnClosedLine);
      },
    });
    device.onData((chunk) => {
      parser.push(chunk);
    });
    return { channel: new CommandChannel(host, { address: ADDRESS, label: "test" }), frames };
  }

  it("sends outbound data in packets of the current size after the acknowledge", async () => {
    const { channel, frames } = recording();
    expect(channel.packetSize).toBe(128);
    channel.setPacketSize(32);
    const data = Uint8Array.from({ length: 70 }, (_, i) => i);
    const reply = await channel.execute({
      instruction: Instruction.DownChar,
      args: Uint8Array.of(1),
      outbound: data,
      timeoutMs: 500,
    });
    expect(reply.confirmation).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(frames.map((f) => [f.pid, f.payload.length])).toEqual([
      [Pid.Command, 2],
      [Pid.Data, 32],
      [Pid.Data, 32],
      [Pid.EndData, 6],
    ]);
    expect(frames.slice(1).flatMap((f) => [...f.payload])).toEqual([...data]);
  });

  it("switches address and packet size only when the module says Ok", async () => {
    const { channel } = recording();
    await channel.execute({
      instruction: Instruction.SetSysPara,
      reconfigure: { packetSize: 256 },
      timeoutMs: 500,
    });
    expect(channel.packetSize).toBe(256);
    const refused = scripted(() => [ack(0x18)]).channel;
    await refused.execute({
      instruction: Instruction.SetAddr,
      reconfigure: { address: 7, packetSize: 32 },
      timeoutMs: 500,
    });
    expect([refused.address, refused.packetSize]).toEqual([ADDRESS, 128]);
  });

  it("refuses impossible settings and empty outbound data", async () => {
    const { host } = createMemoryLinkPair();
    expect(
      () => new CommandChannel(host, { address: ADDRESS, label: "test", packetSize: 100 }),
    ).toThrow(RangeError);
    expect(() => new CommandChannel(host, { address: -1, label: "test" })).toThrow(RangeError);
    const { channel } = recording();
    expect(() => {
      channel.setPacketSize(512);
    }).toThrow(RangeError);
    await expect(
      channel.execute({
        instruction: Instruction.DownChar,
        outbound: new Uint8Array(0),
        timeoutMs: 50,
      }),
    ).rejects.toBeInstanceOf(RangeError);
    await expect(
      channel.execute({
        instruction: Instruction.SetAddr,
        reconfigure: { address: 2 ** 32 },
        timeoutMs: 50,
      }),
    ).rejects.toBeInstanceOf(RangeError);
  });
});

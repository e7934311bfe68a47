import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Confirmation, Instruction, Pid } from "../../drivers/r30x/constants.js";
import { encodeCommand, uint32Bytes, type R30xFrame } from "../../drivers/r30x/frame.js";
import { FrameParser } from "../../drivers/r30x/parser.js";
import { decodeSystemParameters } from "../../drivers/r30x/system-parameters.js";
import { parseScenario } from "../../hardware-sim/r30x/fault-scenario.js";
import { linkExists, socatInstalled } from "../../hardware-sim/r30x/pty-bridge.js";
import {
  startSerialSimulator,
  type SerialSimulator,
  type SerialSimulatorEvent,
} from "../../hardware-sim/r30x/serial-simulator.js";
import { BROADCAST } from "../support/r30x-host.js";
import { waitFor } from "../support/wait.js";

const PASSWORD = 0x0bad_cafe;

/** A raw serial client on the pseudo-terminal: frames out, parsed frames in. */
async function openRaw(path: string): Promise<{
  port: SerialPort;
  frames: R30xFrame[];
  request: (instruction: number, args?: Uint8Array) => Promise<R30xFrame>;
  close: () => Promise<void>;
}> {
  const port = new SerialPort({ path, baudRate: 57_600, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  const frames: R30xFrame[] = [];
  const parser = new FrameParser({ onFrame: (frame) => frames.push(frame) });
  port.on("data", (chunk: Buffer) => {
    parser.push(chunk);
  });
  port.on("error", () => undefined);
  const request = async (instruction: number, args?: Uint8Array): Promise<R30xFrame> => {
    const before = frames.length;
    port.write(Buffer.from(encodeCommand(BROADCAST, instruction, args)));
    await waitFor(`a reply to instruction ${instruction}`, () => frames.length > before, 3_000, 5);
    const reply = frames[before];
    if (!reply) throw new Error("no reply");
    return reply;
  };
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      if (!port.isOpen) {
        resolve();
        return;
      }
      port.close(() => {
        resolve();
      });
    });
  return { port, frames, request, close };
}

// Reason for skipping: socat makes the pseudo-terminal (apt-get install -y socat).
describe.skipIf(!socatInstalled())(
  "basma-sim serial: a simulated module on a pseudo-terminal",
  () => {
    let dir = "";
    let simulator: SerialSimulator | undefined;
    const events: SerialSimulatorEvent[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "basma-sim-pty-"));
      simulator = await startSerialSimulator({
        linkPath: join(dir, "tty", "ttyFP0"),
        lineTiming: true,
        module: {
          model: "r307",
          password: PASSWORD,
          // The 4th command the module receives pulls the adapter for 400 ms.
          scenario: parseScenario({ faults: [{ kind: "unplug", durationMs: 400, atCommand: 4 }] }),
        },
        onEvent: (event) => events.push(event),
      });
    });

    afterAll(async () => {
      await simulator?.close();
      if (dir !== "") await rm(dir, { recursive: true, force: true });
    });

    it("exposes the module at the link path, answering VfyPwd and ReadSysPara", async () => {
      const path = simulator?.linkPath ?? "";
      expect(await realpath(path)).toMatch(/^\/dev\/pts\/\d+$/);
      const client = await openRaw(path);
      try {
        const refused = await client.request(Instruction.ReadSysPara);
        expect(refused.payload[0]).toBe(Confirmation.PasswordNotVerified);
        const verified = await client.request(Instruction.VfyPwd, uint32Bytes(PASSWORD));
        expect(verified).toMatchObject({ address: BROADCAST, pid: Pid.Acknowledge });
        expect(verified.payload[0]).toBe(Confirmation.Ok);
        const reply = await client.request(Instruction.ReadSysPara);
        expect(reply.payload[0]).toBe(Confirmation.Ok);
        expect(decodeSystemParameters(reply.payload.subarray(1))).toMatchObject({
          systemId: 9,
          librarySize: 1000,
          baud: 57_600,
          packetSize: 128,
          address: BROADCAST,
        });
      } finally {
        await client.close();
      }
    });

    it("makes the link vanish on an unplug fault and brings it back at the same path", async () => {
      const path = simulator?.linkPath ?? "";
      const client = await openRaw(path);
      const before = client.frames.length;
      client.port.write(Buffer.from(encodeCommand(BROADCAST, Instruction.TemplateNum)));
      await waitFor("the link to vanish", async () => !(await linkExists(path)), 3_000, 5);
      expect(events).toContainEqual({ kind: "unplugged", durationMs: 400 });
      expect(client.frames.length).toBe(before);
      await client.close();

      await waitFor("the link to come back", () => linkExists(path), 5_000, 10);
      await simulator?.plugged();
      expect(events).toContainEqual({ kind: "replugged", path });
      const again = await openRaw(path);
      try {
        // Power came back: the password must be verified again.
        const refused = await again.request(Instruction.TemplateNum);
        expect(refused.payload[0]).toBe(Confirmation.PasswordNotVerified);
        const verified = await again.request(Instruction.VfyPwd, uint32Bytes(PASSWORD));
        expect(verified.payload[0]).toBe(Confirmation.Ok);
      } finally {
        await again.close();
      }
    });
  },
);

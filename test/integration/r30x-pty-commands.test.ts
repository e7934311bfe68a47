import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CharBuffer } from "../../drivers/r30x/commands.js";
import { Confirmation, DEFAULT_ADDRESS, Instruction } from "../../drivers/r30x/constants.js";
import { packImage, packedImageLength, unpackImage } from "../../drivers/r30x/image.js";
import { SensorError, type GreyImage } from "../../drivers/sensor.js";
import { mulberry32 } from "../../hardware-sim/prints/prng.js";
import {
  byteDifference,
  fingertipPatch,
  identicalTo,
  noiseImage,
  printImage,
  quantised,
} from "../support/r30x-images.js";
import {
  openPtyHost,
  ptySkipReason,
  startPtyModule,
  type PtyHost,
  type PtyModule,
} from "../support/r30x-pty.js";
import { waitFor } from "../support/wait.js";

const PASSWORD = 0x0bad_cafe;
const NEW_PASSWORD = 0x1234_5678;
const RANDOM_SEED = 99;
const STATUS_PASSWORD_VERIFIED = 1 << 2;
const STATUS_IMAGE_BUFFER_VALID = 1 << 3;
/** Long enough that "still deaf right after SoftRst" does not depend on scheduling luck. */
const R503_STARTUP_MS = 400;

const skipped = ptySkipReason === undefined ? "" : ` (skipped: ${ptySkipReason})`;

describe.skipIf(ptySkipReason !== undefined)(
  `R307 over a real pseudo-terminal: every classic command${skipped}`,
  () => {
    let pty: PtyModule;
    let host: PtyHost;
    const size = { width: 256, height: 288 };
    const imageBytes = packedImageLength(size.width, size.height);
    const finger = (seed: number): GreyImage => printImage(size.width, size.height, seed);

    beforeAll(async () => {
      pty = await startPtyModule({ model: "r307", password: PASSWORD, randomSeed: RANDOM_SEED });
      host = await openPtyHost(pty.linkPath);
    });

    afterAll(async () => {
      await host.close();
      await pty.close();
    });

    /** GenImg + Img2Tz of `image` into `buffer`, the finger lifted afterwards. */
    async function extract(buffer: CharBuffer, image: GreyImage): Promise<void> {
      pty.module.placeFinger(image);
      expect(await host.commands.genImg()).toBe("captured");
      expect(await host.commands.img2Tz(buffer)).toBe("extracted");
      pty.module.liftFinger();
    }

    it("VfyPwd: nothing but VfyPwd before it, 0x13 for a wrong password, Ok for the right one", async () => {
      const { commands } = host;
      await expect(commands.readSystemParameters()).rejects.toMatchObject({
        kind: "device",
        deviceCode: Confirmation.PasswordNotVerified,
      });
      await expect(commands.verifyPassword(PASSWORD + 1)).rejects.toMatchObject({
        kind: "device",
        deviceCode: Confirmation.WrongPassword,
      });
      await expect(commands.verifyPassword(PASSWORD)).resolves.toBeUndefined();
    });

    it("ReadSysPara reports the module's parameters", async () => {
      const parameters = await host.commands.readSystemParameters();
      expect(parameters).toMatchObject({
        systemId: 0x0009,
        librarySize: 1000,
        securityLevel: 3,
        address: DEFAULT_ADDRESS,
        packetSize: 128,
        baud: 57_600,
      });
      expect(parameters.statusRegister & STATUS_PASSWORD_VERIFIED).toBe(STATUS_PASSWORD_VERIFIED);
      expect(host.channel.packetSize).toBe(128);
    });

    it("SetPwd: the new password verifies and the old one is refused with 0x13", async () => {
      const { commands } = host;
      await commands.setPassword(NEW_PASSWORD);
      await expect(commands.verifyPassword(PASSWORD)).rejects.toMatchObject({
        deviceCode: Confirmation.WrongPassword,
      });
      // The failed attempt cleared the verification.
      await expect(commands.templateCount()).rejects.toMatchObject({
        deviceCode: Confirmation.PasswordNotVerified,
      });
      await commands.verifyPassword(NEW_PASSWORD);
      await expect(commands.templateCount()).resolves.toBeTypeOf("number");
      await commands.setPassword(PASSWORD);
      await commands.verifyPassword(PASSWORD);
    });

    it("GenImg: no finger on a clear sensor, captured once one is placed", async () => {
      pty.module.liftFinger();
      expect(await host.commands.genImg()).toBe("no-finger");
      pty.module.placeFinger(finger(11));
      expect(await host.commands.genImg()).toBe("captured");
    });

    it("UpImage: the placed image at the module's 4-bit depth", async () => {
      const placed = finger(12);
      pty.module.placeFinger(placed);
      expect(await host.commands.genImg()).toBe("captured");
      const packed = await host.commands.upImage(imageBytes);
      const pixels = unpackImage(packed, size.width, size.height);
      expect(byteDifference(pixels, quantised(placed))).toEqual(identicalTo(quantised(placed)));
    });

    it("SetSysPara: security level, baud and packet size; later uploads use the new packet size", async () => {
      const { commands } = host;
      await commands.setSystemParameter({ parameter: "security-level", level: 5 });
      expect(await commands.readSystemParameters()).toMatchObject({ securityLevel: 5 });
      expect(pty.module.securityLevel).toBe(5);
      await commands.setSystemParameter({ parameter: "security-level", level: 3 });

      await commands.setSystemParameter({ parameter: "baud", multiplier: 12 });
      expect(pty.module.baud).toBe(115_200);
      // A pseudo-terminal carries any rate; reopening at the new one is what a host must do.
      await host.close();
      host = await openPtyHost(pty.linkPath, { baud: 115_200 });
      expect(await host.commands.readSystemParameters()).toMatchObject({ baud: 115_200 });
      await host.commands.setSystemParameter({ parameter: "baud", multiplier: 6 });
      await host.close();
      host = await openPtyHost(pty.linkPath);
      expect(await host.commands.readSystemParameters()).toMatchObject({ baud: 57_600 });

      await host.commands.setSystemParameter({ parameter: "packet-size", bytes: 32 });
      expect(host.channel.packetSize).toBe(32);
      expect(pty.module.packetSize).toBe(32);
      const placed = finger(13);
      pty.module.placeFinger(placed);
      expect(await host.commands.genImg()).toBe("captured");
      const before = host.received.frames.length;
      const packed = await host.commands.upImage(imageBytes);
      const sizes = host.received.dataPacketSizes(before);
      expect(sizes).toHaveLength(imageBytes / 32);
      expect(new Set(sizes)).toEqual(new Set([32]));
      const pixels = unpackImage(packed, size.width, size.height);
      expect(byteDifference(pixels, quantised(placed))).toEqual(identicalTo(quantised(placed)));

      await host.commands.setSystemParameter({ parameter: "packet-size", bytes: 256 });
      expect(await host.commands.readSystemParameters()).toMatchObject({ packetSize: 256 });
    });

    it("DownImage then UpImage: the image buffer holds exactly what was sent", async () => {
      pty.module.liftFinger();
      const sent = packImage(finger(14).pixels);
      await host.commands.downImage(sent);
      const before = host.received.frames.length;
      const back = await host.commands.upImage(imageBytes);
      expect(byteDifference(back, sent)).toEqual(identicalTo(sent));
      expect(new Set(host.received.dataPacketSizes(before))).toEqual(new Set([256]));
    });

    it("Img2Tz: features into buffers 1 and 2, and the finger's problems as values", async () => {
      const { commands } = host;
      await extract(1, finger(21));
      await extract(2, finger(22));
      await commands.downImage(packImage(noiseImage(size.width, size.height).pixels));
      expect(await commands.img2Tz(1)).toBe("image-too-messy");
      await commands.downImage(packImage(fingertipPatch(size.width, size.height).pixels));
      expect(await commands.img2Tz(2)).toBe("too-few-feature-points");
    });

    it("Match: the same finger matches, a different finger does not", async () => {
      await extract(1, finger(1));
      await extract(2, finger(1));
      const same = await host.commands.match();
      expect(same.matched).toBe(true);
      expect(same.matched && same.score).toBeGreaterThan(50);
      await extract(2, finger(2));
      expect(await host.commands.match()).toEqual({ matched: false });
    });

    it("RegModel: merges two captures of one finger, refuses two fingers", async () => {
      await extract(1, finger(1));
      await extract(2, finger(2));
      expect(await host.commands.regModel()).toBe("different-fingers");
      await extract(2, finger(1));
      expect(await host.commands.regModel()).toBe("merged");
    });

    it("Empty, Store, TemplateNum and ReadIndexTable: the library's bookkeeping", async () => {
      const { commands } = host;
      await commands.empty();
      expect(await commands.templateCount()).toBe(0);
      await extract(1, finger(1));
      await commands.store(1, 7);
      await extract(1, finger(3));
      await commands.store(1, 300);
      expect(await commands.templateCount()).toBe(2);
      expect([...(await commands.readIndexTable(0))]).toEqual([7]);
      expect([...(await commands.readIndexTable(1))]).toEqual([300]);
      expect((await commands.readIndexTable(2)).size).toBe(0);
    });

    it("LoadChar and UpChar: a stored template comes back as it was stored", async () => {
      const { commands } = host;
      await extract(1, finger(1));
      const extracted = await commands.upChar(1, 512);
      expect(extracted).toHaveLength(512);
      await commands.loadChar(2, 7);
      const loaded = await commands.upChar(2, 512);
      // Page 7 holds finger 1 as extracted then, the same bytes as this extraction.
      expect(byteDifference(loaded, extracted)).toEqual(identicalTo(extracted));
      await expect(commands.loadChar(1, 8)).rejects.toMatchObject({
        deviceCode: Confirmation.BadTemplate,
      });
    });

    it("DownChar then UpChar: a template round trip, judged by Match", async () => {
      const { commands } = host;
      await extract(1, finger(1));
      const first = await commands.upChar(1, 512);
      await extract(1, finger(2));
      const second = await commands.upChar(1, 512);
      await commands.downChar(2, first);
      const back = await commands.upChar(2, 512);
      expect(byteDifference(back, first)).toEqual(identicalTo(first));
      expect(await commands.match()).toEqual({ matched: false });
      await commands.downChar(2, second);
      expect(await commands.match()).toMatchObject({ matched: true });
    });

    it("Search and HighSpeedSearch: found at the stored page, not found for another finger", async () => {
      const { commands } = host;
      const everywhere = { start: 0, count: 1000 };
      for (const search of [
        commands.search.bind(commands),
        commands.highSpeedSearch.bind(commands),
      ]) {
        await extract(1, finger(1));
        expect(await search(1, everywhere)).toMatchObject({ found: true, page: 7 });
        expect(await search(1, { start: 8, count: 500 })).toEqual({ found: false });
        await extract(2, finger(3));
        expect(await search(2, everywhere)).toMatchObject({ found: true, page: 300 });
        await extract(1, finger(4));
        expect(await search(1, everywhere)).toEqual({ found: false });
      }
    });

    it("DeleteChar removes one page, Empty the rest", async () => {
      const { commands } = host;
      await commands.deleteChar({ start: 7, count: 1 });
      expect(await commands.templateCount()).toBe(1);
      expect((await commands.readIndexTable(0)).size).toBe(0);
      await extract(1, finger(1));
      expect(await commands.search(1, { start: 0, count: 1000 })).toEqual({ found: false });
      await commands.empty();
      expect(await commands.templateCount()).toBe(0);
      expect((await commands.readIndexTable(1)).size).toBe(0);
    });

    it("GetRandomCode: the module's generator, number by number", async () => {
      const random = mulberry32(RANDOM_SEED);
      const expected = [random(), random()].map((x) => Math.floor(x * 0x1_0000_0000));
      expect([await host.commands.getRandomCode(), await host.commands.getRandomCode()]).toEqual(
        expected,
      );
    });

    it("SetAddr: the module answers at the new address only, and the channel follows it", async () => {
      const { commands, channel } = host;
      const moved = 0x1234_abcd;
      await commands.setAddress(moved);
      expect(pty.module.address).toBe(moved);
      expect(channel.address).toBe(moved);
      expect(await commands.templateCount()).toBe(0);
      const old = host.channelAt(DEFAULT_ADDRESS);
      try {
        await expect(
          old.execute({ instruction: Instruction.TemplateNum, timeoutMs: 300 }),
        ).rejects.toMatchObject({ kind: "no-reply" });
      } finally {
        old.shutdown(new SensorError("disconnected", "second channel done"));
      }
      await commands.setAddress(DEFAULT_ADDRESS);
      expect(pty.module.address).toBe(DEFAULT_ADDRESS);
      expect(await commands.readSystemParameters()).toMatchObject({ address: DEFAULT_ADDRESS });
    });
  },
);

describe.skipIf(ptySkipReason !== undefined)(
  `R503 over a real pseudo-terminal: the R503 additions${skipped}`,
  () => {
    let pty: PtyModule;
    let host: PtyHost;
    const side = 192;

    beforeAll(async () => {
      pty = await startPtyModule({ model: "r503", startupMs: R503_STARTUP_MS });
      host = await openPtyHost(pty.linkPath);
      // The module is deaf until it has started: whatever arrives before is lost.
      await waitFor(
        "the R503 to answer after starting",
        () =>
          host.commands.handshake({ timeoutMs: 100, retransmit: false }).then(
            () => true,
            () => false,
          ),
        5_000,
        0,
      );
    });

    afterAll(async () => {
      await host.close();
      await pty.close();
    });

    it("HandShake: Ok from a running module", async () => {
      await expect(host.commands.handshake()).resolves.toBeUndefined();
    });

    it("ReadProdInfo: the R503's own description, 192 x 192 pixels", async () => {
      expect(await host.commands.readProductInfo()).toEqual({
        model: "R503",
        batch: "SIM1",
        serial: "00000001",
        hardwareVersion: { major: 1, minor: 0 },
        sensorType: "SIMCAP",
        imageWidth: side,
        imageHeight: side,
        templateSize: 1536,
        librarySize: 200,
      });
    });

    it("GetImageEx: no finger, a good capture, and a poor image as a value", async () => {
      const { commands } = host;
      expect(await commands.getImageEx()).toBe("no-finger");
      const placed = printImage(side, side, 31);
      pty.module.placeFinger(placed);
      expect(await commands.getImageEx()).toBe("captured");
      const pixels = unpackImage(await commands.upImage(packedImageLength(side, side)), side, side);
      expect(byteDifference(pixels, quantised(placed))).toEqual(identicalTo(quantised(placed)));
      expect(await commands.img2Tz(1)).toBe("extracted");
      expect(await commands.upChar(1, 1536)).toHaveLength(1536);
      pty.module.placeFinger(fingertipPatch(side, side));
      expect(await commands.getImageEx()).toBe("poor-image");
      pty.module.liftFinger();
    });

    it("AuraLedConfig: the ring does what it was told", async () => {
      await host.commands.setAura({ pattern: "flashing", colour: "cyan", speed: 0x20, cycles: 5 });
      expect(pty.module.aura).toEqual({ control: 2, speed: 0x20, colour: 6, cycles: 5 });
      await host.commands.setAura({ pattern: "steady", colour: "purple" });
      expect(pty.module.aura).toMatchObject({ control: 3, colour: 3 });
    });

    it("CheckSensor and GetFwVer: a healthy sensor and the firmware's version", async () => {
      expect(await host.commands.checkSensor()).toBe("ok");
      expect(await host.commands.getFirmwareVersion()).toBe("basma-sim r503 1.0");
    });

    it("Cancel: acknowledged", async () => {
      await expect(host.commands.cancel()).resolves.toBeUndefined();
    });

    it("SoftRst: acknowledged, deaf until the 0x55 ready byte, RAM cleared", async () => {
      const { commands } = host;
      pty.module.placeFinger(printImage(side, side, 32));
      expect(await commands.getImageEx()).toBe("captured");
      await commands.setAura({ pattern: "breathing", colour: "blue" });
      const stray = host.received.strayBytes();
      await commands.softReset();
      await expect(commands.handshake({ timeoutMs: 100, retransmit: false })).rejects.toMatchObject(
        {
          kind: "no-reply",
        },
      );
      await waitFor("the ready byte", () => host.received.strayBytes() > stray, 3_000, 5);
      expect(host.received.strayBytes()).toBe(stray + 1);
      await commands.handshake();
      expect(pty.module.aura).toBeUndefined();
      const parameters = await commands.readSystemParameters();
      expect(parameters.statusRegister & STATUS_IMAGE_BUFFER_VALID).toBe(0);
      await expect(commands.upImage(packedImageLength(side, side))).rejects.toMatchObject({
        deviceCode: Confirmation.NoValidPrimaryImage,
      });
      pty.module.liftFinger();
    });
  },
);

import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGE_HEIGHT, IMAGE_WIDTH } from "../../drivers/uru4000/constants.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { deviceNode, sysfsPath } from "../support/umockdev-device.js";
import { writeProbe } from "../support/umockdev-probe.js";
import {
  IOCTL_DEVICE,
  PCAP_DEVICE,
  PRINT,
  replayFixtures,
  SEED,
  SERIAL_NUMBER,
  type ReplayForm,
  type ReplayScenario,
} from "../support/umockdev-uru4000.js";

const run = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
const fixtures = join(repoRoot, "test/fixtures/umockdev");

const umockdevMissing = await run("umockdev-run", ["--version"]).then(
  () => false,
  () => true,
);

interface ProbeResult {
  readonly steps: string[];
  readonly description?: {
    kind: string;
    model: string;
    imageWidth: number;
    identity: Record<string, string>;
  };
  readonly image?: { width: number; height: number };
  readonly error?: { kind: string; message: string };
}

describe("umockdev replay fixtures", () => {
  it("are exactly what the generator produces (BASMA_UPDATE_FIXTURES=1 rewrites them)", () => {
    for (const [name, bytes] of Object.entries(replayFixtures())) {
      const path = join(fixtures, name);
      if (process.env.BASMA_UPDATE_FIXTURES === "1") writeFileSync(path, bytes);
      expect(Buffer.compare(readFileSync(path), bytes), name).toBe(0);
    }
  });
});

describe.skipIf(umockdevMissing)(
  "U.are.U driver over real libusb, replayed by umockdev-run",
  () => {
    const work = mkdtempSync(join(tmpdir(), "basma-umockdev-"));
    const probe = writeProbe(work, repoRoot, SEED);
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    async function replay(
      form: ReplayForm,
      scenario: ReplayScenario,
    ): Promise<{ result: ProbeResult; imagePath: string }> {
      const imagePath = join(work, `${form}-${scenario}.gray`);
      const source =
        form === "ioctl"
          ? [
              "--device",
              join(fixtures, "uru4500.umockdev"),
              "--ioctl",
              `${deviceNode(IOCTL_DEVICE)}=${join(fixtures, `uru4500-${scenario}.ioctl`)}`,
            ]
          : [
              "--device",
              join(fixtures, "uru4500-serial.umockdev"),
              "--pcap",
              `${sysfsPath(PCAP_DEVICE)}=${join(fixtures, `uru4500-${scenario}.pcap`)}`,
            ];
      const { stdout } = await run(
        "umockdev-run",
        [...source, "--", process.execPath, probe, scenario, imagePath],
        {
          timeout: 60_000,
        },
      );
      const line = stdout.trim().split("\n").at(-1) ?? "";
      return { result: JSON.parse(line) as ProbeResult, imagePath };
    }

    for (const form of ["ioctl", "pcap"] as const) {
      it(`${form} capture: enumerates through sysfs, powers up, takes the finger, decodes the obfuscated image, sees it lift`, async () => {
        const { result, imagePath } = await replay(form, "capture");
        expect(result.error).toBeUndefined();
        expect(result.steps).toEqual(["open", "finger-on", "captured", "finger-off", "closed"]);
        expect(result.description).toMatchObject({
          kind: "usb",
          model: "uru4500",
          imageWidth: IMAGE_WIDTH,
        });
        expect(result.description?.identity).toMatchObject({ usbId: "05ba:000a", location: "1-1" });
        if (form === "pcap") {
          // Control IN data arrives: the serial number string and the version registers.
          expect(result.description?.identity).toMatchObject({
            serialNumber: SERIAL_NUMBER,
            hardwareVersion: "0456",
            firmwareVersion: "0123",
          });
        }
        const pixels = new Uint8Array(readFileSync(imagePath));
        expect(pixels).toHaveLength(IMAGE_WIDTH * IMAGE_HEIGHT);
        const truth = renderPrint(PRINT).pixels;
        let differing = 0;
        for (let i = IMAGE_WIDTH; i < pixels.length; i++) if (pixels[i] !== truth[i]) differing++;
        // Below row 0 (never sent), only the byte each obfuscated block loses to the shift.
        expect(differing).toBeLessThanOrEqual(6);
      });

      it(`${form} finger-off: the finger-off interrupt ends the wait`, async () => {
        const { result } = await replay(form, "finger-off");
        expect(result.error).toBeUndefined();
        expect(result.steps).toEqual(["open", "finger-off", "closed"]);
      });

      it(`${form} stall: the stalled interrupt endpoint is cleared and the wait goes on`, async () => {
        const { result } = await replay(form, "stall");
        expect(result.error).toBeUndefined();
        expect(result.steps).toEqual(["open", "finger-on", "closed"]);
      });

      it(`${form} disconnect: an interrupt URB that ends with ENODEV is reported as disconnected`, async () => {
        const { result } = await replay(form, "disconnect");
        expect(result.steps).toEqual(["open", "closed"]);
        expect(result.error?.kind).toBe("disconnected");
        expect(result.error?.message).toMatch(/waiting for a finger/);
      });
    }
  },
);

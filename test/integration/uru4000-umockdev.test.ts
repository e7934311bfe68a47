import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { IMAGE_HEIGHT, IMAGE_WIDTH } from "../../drivers/uru4000/constants.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { writeProbe } from "../support/umockdev-probe.js";
import { deviceNode } from "../support/umockdev-device.js";
import {
  PRINT,
  REPLAY_DEVICE,
  replayFixtures,
  SEED,
  type ReplayScenario,
} from "../support/umockdev-uru4000.js";

const run = promisify(execFile);
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "../..");
const fixtures = join(repoRoot, "test/fixtures/umockdev");

async function hasUmockdev(): Promise<boolean> {
  return run("umockdev-run", ["--version"]).then(
    () => true,
    () => false,
  );
}
const umockdevMissing = !(await hasUmockdev());

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
    for (const [name, text] of Object.entries(replayFixtures())) {
      const path = join(fixtures, name);
      if (process.env.BASMA_UPDATE_FIXTURES === "1") writeFileSync(path, text);
      expect(readFileSync(path, "utf8"), name).toBe(text);
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
      scenario: ReplayScenario,
    ): Promise<{ result: ProbeResult; imagePath: string }> {
      const imagePath = join(work, `${scenario}.gray`);
      const { stdout } = await run(
        "umockdev-run",
        [
          "--device",
          join(fixtures, "uru4500.umockdev"),
          "--ioctl",
          `${deviceNode(REPLAY_DEVICE)}=${join(fixtures, `uru4500-${scenario}.ioctl`)}`,
          "--",
          process.execPath,
          probe,
          scenario,
          imagePath,
        ],
        { timeout: 60_000 },
      );
      const line = stdout.trim().split("\n").at(-1) ?? "";
      return { result: JSON.parse(line) as ProbeResult, imagePath };
    }

    it("capture: enumerates through sysfs, powers up, takes the finger, decodes the obfuscated image, sees it lift", async () => {
      const { result, imagePath } = await replay("capture");
      expect(result.error).toBeUndefined();
      expect(result.steps).toEqual(["open", "finger-on", "captured", "finger-off", "closed"]);
      expect(result.description).toMatchObject({
        kind: "usb",
        model: "uru4500",
        imageWidth: IMAGE_WIDTH,
      });
      expect(result.description?.identity).toMatchObject({ usbId: "05ba:000a", location: "1-1" });
      const pixels = new Uint8Array(readFileSync(imagePath));
      expect(pixels).toHaveLength(IMAGE_WIDTH * IMAGE_HEIGHT);
      const truth = renderPrint(PRINT).pixels;
      let differing = 0;
      for (let i = IMAGE_WIDTH; i < pixels.length; i++) if (pixels[i] !== truth[i]) differing++;
      // Below row 0 (never sent), only the byte each obfuscated block loses to the shift.
      expect(differing).toBeLessThanOrEqual(6);
    });

    it("finger-off: the finger-off interrupt ends the wait", async () => {
      const { result } = await replay("finger-off");
      expect(result.error).toBeUndefined();
      expect(result.steps).toEqual(["open", "finger-off", "closed"]);
    });

    it("disconnect: an interrupt URB that ends with ENODEV is reported as disconnected", async () => {
      const { result } = await replay("disconnect");
      expect(result.steps).toEqual(["open", "closed"]);
      expect(result.error?.kind).toBe("disconnected");
      expect(result.error?.message).toMatch(/waiting for a finger/);
    });
  },
);

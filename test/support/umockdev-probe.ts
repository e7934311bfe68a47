import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * The program umockdev-run runs: plain JavaScript importing the compiled driver from
 * dist/ (so `npm run build` first), opening the reader through the real `usb` package.
 * It prints one JSON line with what happened; the image goes to a file, never stdout.
 */
export function writeProbe(directory: string, repoRoot: string, seed: number): string {
  const sensorModule = pathToFileURL(join(repoRoot, "dist/drivers/uru4000/uru4000-sensor.js")).href;
  const source = `
import { writeFileSync } from "node:fs";
import { Uru4000Sensor } from ${JSON.stringify(sensorModule)};

const [scenario, imagePath] = process.argv.slice(2);
const sensor = new Uru4000Sensor(
  { id: "replay", kind: "usb", match: { vendorId: 0x05ba, productId: 0x000a }, model: "uru4500" },
  { seedSource: () => ${seed} },
);
const steps = [];
const result = { steps };
try {
  result.description = await sensor.open();
  steps.push("open");
  if (scenario !== "finger-off") {
    await sensor.waitForFinger({ timeoutMs: 5000 });
    steps.push("finger-on");
  }
  if (scenario === "capture") {
    const image = await sensor.captureImage();
    writeFileSync(imagePath, image.pixels);
    result.image = { width: image.width, height: image.height };
    steps.push("captured");
  }
  if (scenario === "capture" || scenario === "finger-off") {
    await sensor.waitForFingerRemoved({ timeoutMs: 5000 });
    steps.push("finger-off");
  }
} catch (error) {
  result.error = { kind: error.kind, message: error.message };
}
await sensor.close();
steps.push("closed");
process.stdout.write(JSON.stringify(result) + "\\n");
`;
  const path = join(directory, "probe.mjs");
  writeFileSync(path, source);
  return path;
}

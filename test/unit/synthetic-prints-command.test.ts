import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../agent/cli-support/cli.js";
import { printsCommand } from "../../hardware-sim/prints-command.js";

interface Manifest {
  sensor: string;
  width: number;
  height: number;
  images: {
    file: string;
    seed: number;
    position: number;
    impression: number;
    sensor: string;
    conditions: { kind: string; severity: number }[];
  }[];
}

describe("basma-sim prints", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "basma-prints-"));
    vi.spyOn(process.stdout, "write").mockReturnValue(true);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes N PNG files and a manifest describing each", async () => {
    const out = join(dir, "set");
    const code = await printsCommand([
      "--count",
      "3",
      "--conditions",
      "wet:0.7,dry:0.3",
      "--sensor",
      "r503",
      "--out",
      out,
      "--seed",
      "21",
    ]);
    expect(code).toBe(0);
    const manifest = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as Manifest;
    expect(manifest).toMatchObject({ sensor: "r503", width: 192, height: 192 });
    expect(manifest.images.map(({ seed, position }) => [seed, position])).toEqual([
      [21, 2],
      [22, 7],
      [23, 1],
    ]);
    const pngs = (await readdir(out)).filter((name) => name.endsWith(".png")).sort();
    expect(pngs).toEqual(manifest.images.map((image) => image.file).sort());
    for (const image of manifest.images) {
      expect(image).toMatchObject({
        impression: 0,
        sensor: "r503",
        conditions: [
          { kind: "wet", severity: 0.7 },
          { kind: "dry", severity: 0.3 },
        ],
      });
      const metadata = await sharp(join(out, image.file)).metadata();
      expect([metadata.format, metadata.width, metadata.height, metadata.channels]).toEqual([
        "png",
        192,
        192,
        1,
      ]);
    }
  });

  it("prints help and rejects bad arguments with usage errors", async () => {
    expect(await printsCommand(["--help"])).toBe(0);
    await expect(printsCommand([])).rejects.toThrow(UsageError);
    await expect(printsCommand(["--out", dir, "--count", "0"])).rejects.toThrow(UsageError);
    await expect(printsCommand(["--out", dir, "--sensor", "r999"])).rejects.toThrow(UsageError);
    await expect(printsCommand(["--out", dir, "--conditions", "soapy:0.5"])).rejects.toThrow(
      /unknown kind "soapy"/,
    );
    await expect(printsCommand(["--out", dir, "--conditions", "wet:2"])).rejects.toThrow(
      UsageError,
    );
    await expect(printsCommand(["--out", dir, "--conditions", "wet"])).rejects.toThrow(UsageError);
  });
});

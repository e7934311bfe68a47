import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writePng } from "../../hardware-sim/prints/png.js";
import { renderPrint } from "../../hardware-sim/prints/render-print.js";
import { runCompiledCli } from "../support/processes.js";

/** basma-quality as a field engineer runs it: the compiled CLI on files. */
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "basma-quality-"));
  await writePng(renderPrint({ seed: 40_001, position: 2 }), join(dir, "clean.png"));
  await writePng(
    renderPrint({ seed: 40_001, position: 2, conditions: [{ kind: "wet", severity: 0.9 }] }),
    join(dir, "wet.png"),
  );
  await writePng(
    renderPrint({ seed: 40_003, position: 13, sensor: "slap" }),
    join(dir, "slap.png"),
  );
  const raw = renderPrint({ seed: 40_002, position: 3, sensor: "r503" });
  await writeFile(join(dir, "r503.raw"), raw.pixels);
  await writeFile(join(dir, "garbage.png"), "this is not a PNG");
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = runCompiledCli("agent/quality/quality-cli.js", args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

/** `--json` output: one object per line. */
function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("basma-quality", () => {
  it("prints one JSON object per image with score, condition, confidence, feedback and measures", async () => {
    const { code, stdout } = await run([join(dir, "clean.png"), join(dir, "wet.png"), "--json"]);
    expect(code).toBe(0);
    const lines = jsonLines(stdout);
    expect(lines).toHaveLength(2);
    const [clean, wet] = lines;
    expect(clean).toMatchObject({
      file: join(dir, "clean.png"),
      width: 256,
      height: 288,
      condition: "good",
    });
    expect(wet).toMatchObject({ condition: "wet", feedback: ["wipe-finger"] });
    expect(wet?.score).toBeLessThan(clean?.score as number);
    for (const line of lines) {
      expect(line.confidence).toBeGreaterThan(0);
      expect(Object.keys(line.measures as object)).toEqual(
        expect.arrayContaining(["Mu", "OCL_Bin10_Mean", "FDA_Bin10_Mean", "fingerArea"]),
      );
    }
  });

  it("judges a slap finger by finger and lists the fingers, left to right", async () => {
    const { code, stdout } = await run([join(dir, "slap.png"), join(dir, "clean.png"), "--json"]);
    expect(code).toBe(0);
    const [slap, clean] = jsonLines(stdout);
    expect(slap).toMatchObject({ width: 1600, height: 1500 });
    const fingers = slap?.fingers as { box: { x: number; width: number }; score: number }[];
    expect(fingers).toHaveLength(4);
    expect(slap?.score).toBe(Math.min(...fingers.map((finger) => finger.score)));
    for (const [i, finger] of fingers.entries()) {
      expect(Object.keys(finger).sort()).toEqual(
        ["box", "condition", "confidence", "feedback", "measures", "score"].sort(),
      );
      if (i > 0) expect(finger.box.x).toBeGreaterThan(fingers[i - 1]?.box.x as number);
    }
    expect(clean).not.toHaveProperty("fingers");

    const human = await run([join(dir, "slap.png")]);
    expect(human.stdout).toMatch(/slap\.png: +\d+ .*1600x1500.*fingers: (\d+ [a-z-]+(, )?){4}$/m);
  });

  it("reads raw pixels given their size, and reports each bad file without stopping", async () => {
    const { code, stdout } = await run([
      join(dir, "r503.raw"),
      join(dir, "missing.raw"),
      "--raw",
      "192x192",
      "--json",
    ]);
    expect(code).toBe(1);
    const [raw, missing] = jsonLines(stdout);
    expect(raw).toMatchObject({ width: 192, height: 192 });
    expect(missing).toMatchObject({ problem: "not-found" });
  });

  it("says in plain text what is wrong with an undecodable file, exit 1", async () => {
    const { code, stdout, stderr } = await run([join(dir, "garbage.png"), join(dir, "clean.png")]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/garbage\.png: cannot decode image/);
    expect(stdout).toMatch(/clean\.png: +\d+ +good/);
  });

  it("rejects bad arguments with exit 2 and shows help with --help", async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(["x.png", "--ppi", "90"])).stderr).toMatch(
      /--ppi expects a whole number from 250/,
    );
    expect((await run(["x.raw", "--raw", "12by12"])).code).toBe(2);
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: basma-quality FILE/);
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCompiledCli } from "../support/processes.js";

async function run(script: string, args: readonly string[]) {
  const cli = runCompiledCli(script, args);
  const { code } = await cli.exited;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

describe("command lines", () => {
  it.each([
    ["agent/cli.js", ["--help"], /Usage: basma-agent/],
    ["hardware-sim/cli.js", ["--help"], /Usage: basma-sim <command>/],
    ["hardware-sim/cli.js", ["stack", "--help"], /--travellers N/],
    ["hardware-sim/cli.js", ["sensor", "--help"], /--model M/],
  ])("%s %s prints help and exits 0", async (script, args, expected) => {
    const { code, stdout } = await run(script, args);
    expect(code).toBe(0);
    expect(stdout).toMatch(expected);
  });

  it.each([
    [
      "agent/cli.js",
      ["--frobnicate"],
      /basma-agent: Unknown option '--frobnicate'.*\nTry 'basma-agent --help'/s,
    ],
    ["hardware-sim/cli.js", ["teleport"], /basma-sim: unknown command "teleport"/],
    [
      "hardware-sim/cli.js",
      ["stack", "--travellers", "two"],
      /--travellers expects a whole number from 1/,
    ],
    [
      "hardware-sim/cli.js",
      ["stack", "--broker-port", "70000"],
      /--broker-port expects a whole number from 0 to 65535/,
    ],
    ["hardware-sim/cli.js", ["stack", "--no-agent", "--travellers", "3"], /needs the agent/],
    ["hardware-sim/cli.js", ["sensor", "--model", "r999"], /--model expects r305/],
  ])("%s %s is a usage error: exit 2 with a readable message", async (script, args, expected) => {
    const { code, stderr } = await run(script, args);
    expect(code).toBe(2);
    expect(stderr).toMatch(expected);
  });

  it("refuses an invalid configuration with exit 78, naming each bad key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "basma-cli-"));
    const path = join(dir, "agent.json");
    writeFileSync(path, JSON.stringify({ device: { direction: "up" }, mqtt: { urll: "x" } }));
    const { code, stderr } = await run("agent/cli.js", ["--config", path]);
    expect(code).toBe(78);
    expect(stderr).toContain("device.direction:");
    expect(stderr).toContain("mqtt.urll: unknown key");
  });

  it("prints the effective configuration with --check-config --json", async () => {
    const { code, stdout } = await run("agent/cli.js", ["--check-config", "--json"]);
    expect(code).toBe(0);
    const config = JSON.parse(stdout) as { mqtt: { topicPrefix: string }; sensors: unknown[] };
    expect(config.mqtt.topicPrefix).toBe("basma");
    expect(config.sensors).toHaveLength(1);
  });
});

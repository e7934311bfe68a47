import { spawn } from "node:child_process";
import { join } from "node:path";
import { repoRoot } from "./processes.js";

/** How one basma-provision run ended, with all it wrote. */
export interface ProvisionRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The compiled basma-provision as its own process, with `input` piped to its stdin. */
export function runProvision(args: readonly string[], input = ""): Promise<ProvisionRun> {
  const child = spawn(process.execPath, [join(repoRoot, "dist/provisioning/cli.js"), ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, UV_USE_IO_URING: "0" },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

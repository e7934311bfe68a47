import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../support/processes.js";

// The real agent (dist/agent/cli.js) started the way systemd starts it: with a notify
// socket and a watchdog. Nothing listens on the default broker or sensor ports, which
// must not hold READY: the sensor and the link are retried under supervision.

interface DatagramSocket {
  on(event: "message", listener: (message: Buffer) => void): void;
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)("unix-dgram") as {
  createSocket(type: "unix_dgram"): DatagramSocket;
};

describe("basma-agent under a service manager", () => {
  let dir: string;
  let receiver: DatagramSocket;
  let messages: string[];
  let onMessage: () => void;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "basma-agent-notify-"));
    messages = [];
    onMessage = () => undefined;
    receiver = unixDgram.createSocket("unix_dgram");
    receiver.on("message", (message) => {
      messages.push(message.toString());
      onMessage();
    });
    receiver.bind(join(dir, "notify"));
  });
  afterEach(() => {
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const until = (match: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(messages)}`));
      }, 30_000);
      const check = (): void => {
        if (!match()) return;
        clearTimeout(timer);
        resolve();
      };
      onMessage = check;
      check();
    });

  it("says READY with a status, pings the watchdog, and says STOPPING on SIGTERM", async () => {
    const agent = spawn(process.execPath, [join(repoRoot, "dist/agent/cli.js")], {
      cwd: dir,
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        PATH: process.env["PATH"] ?? "",
        UV_USE_IO_URING: "0",
        BASMA_LOG_LEVEL: "warn",
        NOTIFY_SOCKET: join(dir, "notify"),
        WATCHDOG_USEC: "1000000",
      },
    });
    let stderr = "";
    agent.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => agent.once("exit", resolve));
    try {
      await until(() => messages.some((m) => m.startsWith("READY=1")), "READY=1");
      const ready = messages.find((m) => m.startsWith("READY=1")) ?? "";
      expect(ready).toMatch(/^READY=1\nSTATUS=.*sensors 0\/1 ready.*; queue 0 waiting$/);
      const readyAt = messages.indexOf(ready);
      await until(
        () => messages.slice(readyAt).includes("WATCHDOG=1"),
        "a watchdog ping after READY",
      );

      agent.kill("SIGTERM");
      expect(await exited, stderr).toBe(0);
      expect(messages.some((m) => m.startsWith("STOPPING=1"))).toBe(true);
    } finally {
      agent.kill("SIGKILL");
    }
  });
});

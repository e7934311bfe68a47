import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { repoRoot } from "../support/processes.js";

// The notify protocol against a real AF_UNIX datagram socket bound here, and a real
// child process running the compiled ServiceNotifier, as systemd would see it.

interface DatagramSocket {
  on(event: "message", listener: (message: Buffer) => void): void;
  on(event: "error", listener: (error: Error) => void): void;
  bind(path: string): void;
  close(): void;
}
const unixDgram = createRequire(import.meta.url)("unix-dgram") as {
  createSocket(type: "unix_dgram"): DatagramSocket;
};

const notifierModule = pathToFileURL(join(repoRoot, "dist/agent/service/service-notifier.js")).href;
const loggerModule = pathToFileURL(join(repoRoot, "dist/agent/log/logger.js")).href;

// The child: announces itself, then follows the test's commands over IPC so that
// nothing in the test depends on how fast the machine is.
const CHILD = `
const { ServiceNotifier } = await import(${JSON.stringify(notifierModule)});
const { createLogger } = await import(${JSON.stringify(loggerModule)});
const notifier = ServiceNotifier.fromEnvironment(createLogger({ name: "child", level: "debug" }));
notifier.ready("sensors 1 of 1 up; queue 0 waiting");
notifier.status("idle; queue 0 waiting");
process.on("message", (command) => {
  if (command.kind === "block") {
    notifier.status("blocking");
    const until = Date.now() + command.ms;
    while (Date.now() < until) {}
    notifier.status("unblocked");
  } else if (command.kind === "stop") {
    notifier.stopping("stopping: finishing the current write");
    notifier.close();
    process.disconnect();
  }
});
`;

/** Resolves once the kernel lists a socket bound to the abstract name. */
async function listeningOnAbstract(name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (readFileSync("/proc/net/unix", "utf8").includes(` @${name}\n`)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`socat never bound @${name}`);
}

function hasProgram(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}

describe("the notify protocol over a real datagram socket", () => {
  let dir: string;
  let receiver: DatagramSocket;
  let messages: string[];
  let waiters: { match: () => boolean; resolve: () => void }[];
  const children: ChildProcess[] = [];

  const until = (match: () => boolean, what: string, timeoutMs = 20_000): Promise<void> =>
    new Promise((resolve, reject) => {
      if (match()) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        reject(new Error(`timed out waiting for ${what}; received: ${JSON.stringify(messages)}`));
      }, timeoutMs);
      waiters.push({
        match,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });

  const bindReceiver = (path: string): void => {
    receiver = unixDgram.createSocket("unix_dgram");
    receiver.on("error", (error) => {
      throw error;
    });
    receiver.on("message", (message) => {
      messages.push(message.toString());
      for (const waiter of waiters.splice(0)) {
        if (waiter.match()) waiter.resolve();
        else waiters.push(waiter);
      }
    });
    receiver.bind(path);
  };

  const startChild = (env: Record<string, string>): ChildProcess => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { PATH: process.env["PATH"] ?? "", UV_USE_IO_URING: "0", ...env },
    });
    children.push(child);
    return child;
  };

  const exited = (child: ChildProcess): Promise<number | null> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode);
      else child.once("exit", (code) => resolve(code));
    });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "basma-notify-"));
    messages = [];
    waiters = [];
  });

  afterEach(() => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = (message: string, from = 0, to = messages.length): number =>
    messages.slice(from, to).filter((m) => m === message).length;

  it("sends READY, STATUS, periodic WATCHDOG pings that stop while the event loop is blocked, and STOPPING", async () => {
    const socketPath = join(dir, "notify");
    bindReceiver(socketPath);
    const intervalMs = 50;
    const child = startChild({
      NOTIFY_SOCKET: socketPath,
      WATCHDOG_USEC: String(intervalMs * 2_000),
    });

    await until(() => count("WATCHDOG=1") >= 3, "three watchdog pings");
    expect(messages).toContain("READY=1\nSTATUS=sensors 1 of 1 up; queue 0 waiting");
    expect(messages).toContain("STATUS=idle; queue 0 waiting");

    // Twenty ping intervals with the event loop stuck in a busy loop.
    child.send({ kind: "block", ms: intervalMs * 20 });
    await until(() => messages.includes("STATUS=unblocked"), "the end of the blocked stretch");
    const blockedFrom = messages.indexOf("STATUS=blocking");
    const blockedTo = messages.indexOf("STATUS=unblocked");
    expect(blockedFrom).toBeGreaterThanOrEqual(0);
    expect(blockedTo).toBeGreaterThan(blockedFrom);
    expect(messages.slice(blockedFrom + 1, blockedTo)).toEqual([]);

    await until(() => count("WATCHDOG=1", blockedTo) >= 2, "pings resuming after the block");

    child.send({ kind: "stop" });
    await until(
      () => messages.includes("STOPPING=1\nSTATUS=stopping: finishing the current write"),
      "STOPPING",
    );
    // The unref'd watchdog timer and the per-message sockets let the child exit on its own.
    expect(await exited(child)).toBe(0);
    const stopAt = messages.indexOf("STOPPING=1\nSTATUS=stopping: finishing the current write");
    expect(count("WATCHDOG=1", stopAt + 1)).toBe(0);
  });

  it("does not ping when WATCHDOG_PID names another process, but still notifies", async () => {
    const socketPath = join(dir, "notify");
    bindReceiver(socketPath);
    const child = startChild({
      NOTIFY_SOCKET: socketPath,
      WATCHDOG_USEC: "20000",
      WATCHDOG_PID: "1",
    });
    await until(() => messages.includes("STATUS=idle; queue 0 waiting"), "the status line");
    child.send({ kind: "block", ms: 200 });
    await until(() => messages.includes("STATUS=unblocked"), "the blocked stretch");
    child.send({ kind: "stop" });
    expect(await exited(child)).toBe(0);
    expect(count("WATCHDOG=1")).toBe(0);
    expect(messages.at(-1)).toBe("STOPPING=1\nSTATUS=stopping: finishing the current write");
  });

  it("reaches an abstract-namespace socket (NOTIFY_SOCKET=@name) in order", async (context) => {
    if (!hasProgram("socat") || !hasProgram("systemd-notify")) {
      context.skip("needs socat (test/install-test-tools.sh) and systemd-notify");
      return;
    }
    // socat listens on the abstract name and relays each datagram to a path socket here.
    const relayed = join(dir, "relayed");
    bindReceiver(relayed);
    const name = `basma-test-${process.pid}-${Date.now()}`;
    const relay = spawn("socat", ["-u", `ABSTRACT-RECV:${name}`, `UNIX-SENDTO:${relayed}`], {
      stdio: "ignore",
    });
    children.push(relay);
    await listeningOnAbstract(name);

    const child = startChild({ NOTIFY_SOCKET: `@${name}` });
    await until(() => messages.includes("STATUS=idle; queue 0 waiting"), "the status line");
    child.send({ kind: "stop" });
    await until(
      () => messages.some((m) => m.startsWith("STOPPING=1")),
      "STOPPING through the abstract socket",
    );
    // One helper process per message, one at a time: the order is kept.
    expect(messages).toEqual([
      "READY=1\nSTATUS=sensors 1 of 1 up; queue 0 waiting",
      "STATUS=idle; queue 0 waiting",
      "STOPPING=1\nSTATUS=stopping: finishing the current write",
    ]);
    expect(await exited(child)).toBe(0);
  });
});

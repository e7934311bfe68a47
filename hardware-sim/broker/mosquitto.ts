import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const CANDIDATES = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"];

/** The Mosquitto binary from apt, if installed (test/install-test-tools.sh installs it). */
export const mosquittoPath: string | undefined = CANDIDATES.find((path) => existsSync(path));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface RunningMosquitto {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * A real Mosquitto on a loopback port (a free one unless given: a restart takes the
 * same port again), anonymous, no persistence: the second, independent broker that
 * tests and benchmarks run against.
 */
export async function startMosquitto(
  options: { port?: number } = {},
): Promise<RunningMosquitto & { readonly port: number }> {
  if (mosquittoPath === undefined)
    throw new Error("mosquitto is not installed (bash test/install-test-tools.sh installs it)");
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "basma-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_inflight_messages 0\nmax_queued_messages 100000\n`,
  );
  const child: ChildProcess = spawn(mosquittoPath, ["-c", conf], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`mosquitto did not start listening on port ${port}`);
    }
    await sleep(50);
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "./wait.js";

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

/** A real Mosquitto on a free loopback port, anonymous, no persistence. */
export async function startMosquitto(): Promise<RunningMosquitto> {
  if (mosquittoPath === undefined) throw new Error("mosquitto is not installed");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "basma-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n`,
  );
  const child: ChildProcess = spawn(mosquittoPath, ["-c", conf], { stdio: "ignore" });
  await waitFor("mosquitto to listen", () => accepts(port), 10_000, 50);
  return {
    url: `mqtt://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { getSystemErrorName } from "node:util";
import type { NotifyAddress } from "./notify-environment.js";

/** Delivers one notify message (newline-separated VARIABLE=value lines) to the manager. */
export interface NotifyTransport {
  /** Resolves once the message is handed to the socket; rejects with the reason. */
  send(message: string): Promise<void>;
}

interface UnixDatagramSocket {
  on(event: "error", listener: (error: Error) => void): void;
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    path: string,
    callback: (error?: Error & { code?: number | string }) => void,
  ): void;
  close(): void;
}

interface UnixDatagramModule {
  createSocket(type: "unix_dgram"): UnixDatagramSocket;
}

let unixDatagram: UnixDatagramModule | undefined;

// Loaded on first use, so an agent whose native addon failed to build still runs
// (without notifications) wherever no manager listens.
function loadUnixDatagram(): UnixDatagramModule {
  unixDatagram ??= createRequire(import.meta.url)("unix-dgram") as UnixDatagramModule;
  return unixDatagram;
}

function describeSendError(error: Error & { code?: number | string }): string {
  if (typeof error.code === "number" && error.code < 0) {
    try {
      return getSystemErrorName(error.code);
    } catch {
      return `errno ${-error.code}`;
    }
  }
  return error.message;
}

/**
 * Sends from this very process through an AF_UNIX datagram socket (unix-dgram), so the
 * manager sees the main PID as the sender (NotifyAccess=main). A socket per message:
 * nothing stays open to keep the event loop alive, and a manager that re-executed and
 * recreated its socket is found again.
 */
export class DatagramNotifyTransport implements NotifyTransport {
  constructor(private readonly path: string) {}

  send(message: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let socket: UnixDatagramSocket;
      try {
        socket = loadUnixDatagram().createSocket("unix_dgram");
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      socket.on("error", () => undefined);
      const buffer = Buffer.from(message);
      socket.send(buffer, 0, buffer.length, this.path, (error) => {
        socket.close();
        if (error === undefined) resolve();
        else reject(new Error(`cannot send to ${this.path}: ${describeSendError(error)}`));
      });
    });
  }
}

/**
 * Abstract-namespace sockets: unix-dgram copies the address as a C string, so a name
 * starting with NUL cannot be reached through it. systemd-notify (libsystemd) can; the
 * manager then sees the helper's PID as the sender, so a manager that checks senders
 * needs NotifyAccess=all. systemd itself always hands out a filesystem path.
 */
export class HelperNotifyTransport implements NotifyTransport {
  constructor(
    private readonly name: string,
    private readonly helper: string = "systemd-notify",
  ) {}

  // Each message is its own process; one at a time keeps them in order.
  private previous: Promise<void> = Promise.resolve();

  send(message: string): Promise<void> {
    const sent = this.previous.then(() => this.run(message));
    this.previous = sent.catch(() => undefined);
    return sent;
  }

  private run(message: string): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(
        this.helper,
        ["--no-block", ...message.split("\n")],
        {
          env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", NOTIFY_SOCKET: `@${this.name}` },
          timeout: 5_000,
        },
        (error, _stdout, stderr) => {
          if (error === null) resolve();
          else {
            const reason = stderr.trim() || error.message;
            reject(new Error(`${this.helper} could not notify @${this.name}: ${reason}`));
          }
        },
      );
    });
  }
}

export function createNotifyTransport(address: NotifyAddress): NotifyTransport {
  return address.kind === "path"
    ? new DatagramNotifyTransport(address.path)
    : new HelperNotifyTransport(address.name);
}

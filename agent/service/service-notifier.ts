import type { Logger } from "../log/logger.js";
import {
  readNotifyEnvironment,
  type NotifyAddress,
  type NotifyEnvironment,
} from "./notify-environment.js";
import { createNotifyTransport, type NotifyTransport } from "./notify-transport.js";

const MAX_STATUS_LENGTH = 200;

/** One line of printable text: a newline would start another assignment. */
function statusLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > MAX_STATUS_LENGTH ? `${line.slice(0, MAX_STATUS_LENGTH - 1)}…` : line;
}

function describeAddress(address: NotifyAddress): string {
  return address.kind === "path" ? address.path : `@${address.name}`;
}

/**
 * The agent's side of the service manager's notify protocol (sd_notify(3)): READY,
 * STATUS, STOPPING, RELOADING and watchdog pings. Does nothing when the process was
 * not started with NOTIFY_SOCKET; a failed send is logged, never thrown, so the agent
 * runs the same with or without a manager.
 */
export class ServiceNotifier {
  private watchdogTimer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly environment: NotifyEnvironment,
    private readonly transport: NotifyTransport | undefined,
    private readonly logger: Logger,
  ) {
    for (const problem of environment.problems) logger.warn({ event: "service-notify" }, problem);
    if (transport !== undefined && environment.watchdogUsec !== undefined) this.startWatchdog();
  }

  /** The notifier for this process, from NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID. */
  static fromEnvironment(
    logger: Logger,
    env: NodeJS.ProcessEnv = process.env,
    pid: number = process.pid,
  ): ServiceNotifier {
    const environment = readNotifyEnvironment(env, pid);
    const transport =
      environment.socket === undefined ? undefined : createNotifyTransport(environment.socket);
    return new ServiceNotifier(environment, transport, logger);
  }

  /** Whether a manager listens at all. */
  get enabled(): boolean {
    return this.transport !== undefined;
  }

  /** How often the watchdog is pinged (half the manager's timeout), when it is. */
  get watchdogIntervalMs(): number | undefined {
    const usec = this.environment.watchdogUsec;
    return this.transport === undefined || usec === undefined
      ? undefined
      : Math.max(1, Math.floor(usec / 2_000));
  }

  /** Start-up is complete (sensors and queue up); with a status line for `systemctl status`. */
  ready(status?: string): void {
    this.send(status === undefined ? ["READY=1"] : ["READY=1", `STATUS=${statusLine(status)}`]);
  }

  /** A short summary shown by `systemctl status`. */
  status(text: string): void {
    this.send([`STATUS=${statusLine(text)}`]);
  }

  /** The agent has begun to stop (finishing its write, flushing, closing). */
  stopping(status?: string): void {
    this.send(
      status === undefined ? ["STOPPING=1"] : ["STOPPING=1", `STATUS=${statusLine(status)}`],
    );
  }

  /** Configuration is being reloaded; ready() again when done. */
  reloading(): void {
    // CLOCK_MONOTONIC, which libuv's hrtime reads, as Type=notify-reload requires.
    const monotonicUsec = process.hrtime.bigint() / 1_000n;
    this.send(["RELOADING=1", `MONOTONIC_USEC=${monotonicUsec}`]);
  }

  /** Stops the watchdog pings (the timer never keeps the process alive on its own). */
  close(): void {
    if (this.watchdogTimer !== undefined) clearInterval(this.watchdogTimer);
    this.watchdogTimer = undefined;
  }

  // A timer on the event loop, not a thread: when the loop is stuck the pings stop and
  // the manager restarts the agent, which is the point.
  private startWatchdog(): void {
    const interval = this.watchdogIntervalMs;
    if (interval === undefined) return;
    this.ping();
    this.watchdogTimer = setInterval(() => {
      this.ping();
    }, interval);
    this.watchdogTimer.unref();
    this.logger.debug({ event: "service-notify", intervalMs: interval }, "watchdog pings started");
  }

  private ping(): void {
    this.send(["WATCHDOG=1"]);
  }

  private send(assignments: readonly string[]): void {
    const transport = this.transport;
    const socket = this.environment.socket;
    if (transport === undefined || socket === undefined) return;
    transport.send(assignments.join("\n")).then(
      () => {
        if (!this.failing) return;
        this.failing = false;
        this.logger.info(
          { event: "service-notify", socket: describeAddress(socket) },
          "service manager notify socket reachable again",
        );
      },
      (error: unknown) => {
        // Once per streak: a dead socket must not flood the journal with every ping.
        const level = this.failing ? "debug" : "warn";
        this.failing = true;
        this.logger[level](
          { event: "service-notify", socket: describeAddress(socket), err: error },
          "cannot notify the service manager",
        );
      },
    );
  }
}

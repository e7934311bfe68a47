/**
 * What the service manager told this process through its environment (sd_notify(3)):
 * where the notify socket is and whether, and how often, it expects watchdog pings.
 */

/** A filesystem socket, or a Linux abstract-namespace one (NOTIFY_SOCKET=@name). */
export type NotifyAddress =
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "abstract"; readonly name: string };

export interface NotifyEnvironment {
  /** Undefined when the process does not run under a manager that listens. */
  readonly socket: NotifyAddress | undefined;
  /** The manager's watchdog timeout for this process, when it has one. */
  readonly watchdogUsec: number | undefined;
  /** Settings that were present but unusable, said once in the log. */
  readonly problems: readonly string[];
}

// sockaddr_un.sun_path holds 108 bytes, the terminating NUL included.
const MAX_SOCKET_PATH_BYTES = 107;

function parseSocket(value: string | undefined, problems: string[]): NotifyAddress | undefined {
  if (value === undefined || value === "") return undefined;
  if (Buffer.byteLength(value) > MAX_SOCKET_PATH_BYTES) {
    problems.push(
      `NOTIFY_SOCKET is longer than a socket address can be (${value.length} characters)`,
    );
    return undefined;
  }
  if (value.startsWith("@")) {
    if (value.length === 1) {
      problems.push("NOTIFY_SOCKET names an empty abstract socket");
      return undefined;
    }
    return { kind: "abstract", name: value.slice(1) };
  }
  if (value.startsWith("/")) return { kind: "path", path: value };
  problems.push(
    `NOTIFY_SOCKET "${value}" is neither an absolute path nor an abstract socket (@name); not notifying`,
  );
  return undefined;
}

function parseWatchdog(
  usec: string | undefined,
  pid: string | undefined,
  ownPid: number,
  problems: string[],
): number | undefined {
  if (usec === undefined || usec === "") return undefined;
  const timeout = Number(usec);
  if (!/^\d+$/.test(usec) || !Number.isSafeInteger(timeout) || timeout === 0) {
    problems.push(
      `WATCHDOG_USEC "${usec}" is not a positive number of microseconds; no watchdog pings`,
    );
    return undefined;
  }
  // The manager names the process it watches; a child that inherited the variables
  // (or the manager's main PID being someone else) must not ping on its behalf.
  if (pid !== undefined && pid !== "" && pid !== String(ownPid)) return undefined;
  return timeout;
}

/** Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID; never throws. */
export function readNotifyEnvironment(
  env: NodeJS.ProcessEnv,
  ownPid: number = process.pid,
): NotifyEnvironment {
  const problems: string[] = [];
  const socket = parseSocket(env["NOTIFY_SOCKET"], problems);
  const watchdogUsec = parseWatchdog(env["WATCHDOG_USEC"], env["WATCHDOG_PID"], ownPid, problems);
  return { socket, watchdogUsec, problems };
}

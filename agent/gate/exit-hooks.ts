/** The part of `process` the hooks use, so tests can send signals without ending the run. */
export interface ExitHookHost {
  readonly pid: number;
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
  listenerCount(event: string): number;
  kill(pid: number, signal: string): unknown;
}

const TERMINATING_SIGNALS = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * Runs `action` synchronously when the process ends: on "exit" (process.exit(), the
 * event loop draining, an uncaught exception) and on SIGTERM, SIGINT and SIGHUP. A
 * signal handler suppresses Node's default of dying, so when no one else listens the
 * signal is raised again after `action`, and the process ends as it would have.
 * SIGKILL and power loss cannot be hooked; the relay controller closes the lines again
 * at start-up for those. Returns a function that removes the hooks.
 */
export function onProcessExit(
  action: (cause: string) => void,
  host: ExitHookHost = process,
): () => void {
  const listeners = new Map<string, () => void>();
  const detach = (): void => {
    for (const [event, listener] of listeners) host.off(event, listener);
    listeners.clear();
  };
  listeners.set("exit", () => {
    action("process exit");
  });
  for (const signal of TERMINATING_SIGNALS) {
    listeners.set(signal, () => {
      action(signal);
      if (host.listenerCount(signal) === 1) {
        detach();
        host.kill(host.pid, signal);
      }
    });
  }
  for (const [event, listener] of listeners) host.on(event, listener);
  return detach;
}

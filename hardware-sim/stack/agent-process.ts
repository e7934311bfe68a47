import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** One parsed JSON log line of the agent. */
export type AgentLogLine = Record<string, unknown> & {
  level?: string;
  msg?: string;
  event?: string;
};

export interface AgentProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code (or the signal's name) when the agent has gone. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL if it is still there after graceMs. */
  stop(graceMs: number): Promise<number | string>;
}

const AGENT_CLI = fileURLToPath(new URL("../../agent/cli.js", import.meta.url));

/**
 * Runs the compiled agent as its own process, exactly as systemd would, and hands
 * each JSON line it logs to onLine. The IPC channel ties its life to ours: if this
 * process dies, even by SIGKILL, the agent sees "disconnect" and stops.
 */
export function startAgentProcess(
  configPath: string,
  onLine: (line: AgentLogLine) => void,
  onText: (text: string) => void,
): AgentProcess {
  const child: ChildProcess = fork(AGENT_CLI, ["--config", configPath], {
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // Its own process group: a terminal's Ctrl-C reaches only the stack, which then
    // stops the agent once, in order.
    detached: true,
    env: { ...process.env, UV_USE_IO_URING: "0" },
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? signal ?? "unknown");
    });
  });
  if (child.stdout) {
    createInterface({ input: child.stdout }).on("line", (text) => {
      try {
        onLine(JSON.parse(text) as AgentLogLine);
      } catch {
        onText(text);
      }
    });
  }
  if (child.stderr) createInterface({ input: child.stderr }).on("line", onText);

  return {
    pid: child.pid,
    exited,
    stop: async (graceMs) => {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

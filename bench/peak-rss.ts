import { readFileSync } from "node:fs";

/**
 * This process's peak resident set size in bytes. getrusage's ru_maxrss (Node's
 * resourceUsage().maxRSS) is no use in a child process on Linux: exec keeps the
 * high-water mark of the memory the child was forked with, so a child of a large
 * benchmark process reports the parent's size. /proc's VmHWM belongs to the process's
 * own address space, which exec replaced.
 */
export function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (match?.[1] !== undefined) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through to what getrusage says.
  }
  return process.resourceUsage().maxRSS * 1024;
}

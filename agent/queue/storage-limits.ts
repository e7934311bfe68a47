import { statfsSync } from "node:fs";

export interface StorageLimits {
  readonly maxRecords: number;
  readonly maxBytes: number;
  /** Free disk space the queue must always leave for the system. */
  readonly reserveFreeBytes: number;
  /** Fraction of maxRecords or maxBytes at which the queue raises a warning. */
  readonly warnAtFraction: number;
}

export const DEFAULT_STORAGE_LIMITS: StorageLimits = {
  maxRecords: 100_000,
  maxBytes: 4 * 1024 ** 3,
  reserveFreeBytes: 512 * 1024 ** 2,
  warnAtFraction: 0.8,
};

export type QueueHealthLevel = "ok" | "warning" | "full";

export interface QueueHealth {
  readonly level: QueueHealthLevel;
  /** Plain-language reasons for a warning or full level (empty when ok). */
  readonly reasons: readonly string[];
  readonly records: number;
  readonly bytes: number;
  /** Free space on the queue's file system, or null where it cannot be asked. */
  readonly freeDiskBytes: number | null;
  readonly limits: StorageLimits;
}

/**
 * Thrown by enqueue when the record would break a limit. The record was not
 * stored: the capture loop must keep it (or not start the session) and show the
 * terminal as out of service; records are never dropped to make room.
 */
export class QueueFullError extends Error {
  override readonly name: string = "QueueFullError";
  readonly reasons: readonly string[];
  constructor(reasons: readonly string[]) {
    super(`the record queue is full: ${reasons.join("; ")}`);
    this.reasons = reasons;
  }
}

export function freeDiskBytes(directory: string): number | null {
  try {
    const stats = statfsSync(directory);
    return stats.bavail * stats.bsize;
  } catch {
    return null;
  }
}

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/** The queue's health if `incoming` more bytes in one more record were added to it. */
export function assessHealth(
  usage: { records: number; bytes: number; freeDiskBytes: number | null },
  limits: StorageLimits,
  incoming: { records: number; bytes: number } = { records: 0, bytes: 0 },
): QueueHealth {
  const records = usage.records + incoming.records;
  const bytes = usage.bytes + incoming.bytes;
  const free = usage.freeDiskBytes === null ? null : usage.freeDiskBytes - incoming.bytes;
  const full: string[] = [];
  const warning: string[] = [];
  if (records > limits.maxRecords)
    full.push(`${records} records would exceed queue.maxRecords (${limits.maxRecords})`);
  else if (records >= limits.maxRecords * limits.warnAtFraction)
    warning.push(`${records} of ${limits.maxRecords} records queued`);
  if (bytes > limits.maxBytes)
    full.push(`${mib(bytes)} would exceed queue.maxBytes (${mib(limits.maxBytes)})`);
  else if (bytes >= limits.maxBytes * limits.warnAtFraction)
    warning.push(`${mib(bytes)} of ${mib(limits.maxBytes)} queued`);
  if (free !== null) {
    if (free < limits.reserveFreeBytes)
      full.push(
        `free disk ${mib(Math.max(0, free))} would fall below queue.reserveFreeBytes (${mib(limits.reserveFreeBytes)})`,
      );
    else if (free < 2 * limits.reserveFreeBytes)
      warning.push(`free disk ${mib(free)} is under twice the reserve`);
  }
  const level: QueueHealthLevel = full.length > 0 ? "full" : warning.length > 0 ? "warning" : "ok";
  return {
    level,
    reasons: full.length > 0 ? full : warning,
    records: usage.records,
    bytes: usage.bytes,
    freeDiskBytes: usage.freeDiskBytes,
    limits,
  };
}

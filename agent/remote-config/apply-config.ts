import { readIfExists, writeFileAtomic } from "./atomic-file.js";
import type { DesiredConfig } from "./desired-config.js";
import {
  backupPathOf,
  readState,
  sha256,
  writeState,
  type ConfigPaths,
} from "./remote-config-state.js";

/**
 * Writes a validated desired configuration in place, in an order that a crash at any
 * point leaves recoverable: first the backup of what runs now, then the pending marker
 * (with the new file's hash), then the configuration file itself, each replaced
 * atomically. recoverConfigAtStartup() tells from the hash whether the last step
 * happened. The agent must then restart into the new file.
 */
export function applyDesiredConfig(paths: ConfigPaths, desired: DesiredConfig, now: Date): void {
  const state = readState(paths);
  const current = readIfExists(paths.configPath) ?? Buffer.from("{}\n");
  writeFileAtomic(backupPathOf(paths), current);
  const next = Buffer.from(`${JSON.stringify(desired.input, null, 2)}\n`, "utf8");
  const marked = {
    ...state,
    handled: { generation: desired.generation, sha256: desired.sha256 },
    pending: {
      generation: desired.generation,
      sha256: sha256(next),
      previousGeneration: state.runningGeneration,
      writtenAt: now.toISOString(),
      starts: 0,
    },
  };
  writeState(paths, marked);
  try {
    writeFileAtomic(paths.configPath, next);
  } catch (error) {
    // The old file is untouched (the replacement is atomic): only the marker goes.
    writeState(paths, { ...marked, pending: null });
    throw error;
  }
}

/** Records a desired configuration that was refused, so it is not tried again. */
export function recordRefusal(
  paths: ConfigPaths,
  refused: { generation: number; sha256?: string | undefined; reason: string },
  now: Date,
): void {
  const state = readState(paths);
  writeState(paths, {
    ...state,
    handled: { generation: refused.generation, sha256: refused.sha256 ?? "" },
    lastOutcome: {
      generation: refused.generation,
      status: "refused",
      reason: refused.reason,
      at: now.toISOString(),
    },
  });
}

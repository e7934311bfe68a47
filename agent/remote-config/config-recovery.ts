import { readIfExists, writeFileAtomic } from "./atomic-file.js";
import {
  backupPathOf,
  readState,
  sha256,
  writeState,
  type ConfigOutcome,
  type ConfigPaths,
} from "./remote-config-state.js";

/** What start-up found about a configuration the centre pushed. */
export type StartupConfigState =
  | { readonly state: "settled" }
  /** This start runs a pushed configuration not yet confirmed healthy. */
  | { readonly state: "confirming"; readonly generation: number }
  /** A pushed configuration was taken back before this start; the previous one runs. */
  | { readonly state: "rolled-back"; readonly generation: number; readonly reason: string };

/**
 * Run at every start (and in-process restart) of the agent, before the configuration
 * is loaded. A pushed configuration that was already started once and never confirmed
 * healthy means that start crashed or was stopped with it: it is rolled back now,
 * before it can do so again. A first start with it is counted and allowed to confirm.
 */
export function recoverConfigAtStartup(
  paths: ConfigPaths,
  now: Date = new Date(),
): StartupConfigState {
  const state = readState(paths);
  const pending = state.pending;
  if (pending === null) return { state: "settled" };
  const current = readIfExists(paths.configPath);
  if (current === undefined || sha256(current) !== pending.sha256) {
    // Stopped between marking and replacing: the file in place is the one before.
    const reason = "the agent stopped before the new configuration was written";
    writeState(paths, {
      ...state,
      pending: null,
      lastOutcome: rolledBack(pending.generation, reason, now),
    });
    return { state: "rolled-back", generation: pending.generation, reason };
  }
  if (pending.starts >= 1) {
    const reason =
      "the agent did not come back healthy with it: it stopped or crashed before confirming";
    rollBackPendingConfig(paths, reason, now);
    return { state: "rolled-back", generation: pending.generation, reason };
  }
  writeState(paths, { ...state, pending: { ...pending, starts: pending.starts + 1 } });
  return { state: "confirming", generation: pending.generation };
}

/**
 * Puts the previous configuration back and records why. Also for the agent's start-up
 * when a pending configuration cannot even be loaded. Does nothing without a pending one.
 */
export function rollBackPendingConfig(paths: ConfigPaths, reason: string, now = new Date()): void {
  const state = readState(paths);
  const pending = state.pending;
  if (pending === null) return;
  const backup = readIfExists(backupPathOf(paths));
  // No backup means the agent ran on its defaults before: an empty file is those.
  writeFileAtomic(paths.configPath, backup ?? "{}\n");
  writeState(paths, {
    ...state,
    runningGeneration: pending.previousGeneration,
    pending: null,
    lastOutcome: rolledBack(pending.generation, reason, now),
  });
}

/** Marks the pending configuration healthy: it becomes the running one. */
export function confirmPendingConfig(paths: ConfigPaths, now = new Date()): number | undefined {
  const state = readState(paths);
  const pending = state.pending;
  if (pending === null) return undefined;
  writeState(paths, {
    ...state,
    runningGeneration: pending.generation,
    pending: null,
    lastOutcome: { generation: pending.generation, status: "applied", at: now.toISOString() },
  });
  return pending.generation;
}

function rolledBack(generation: number, reason: string, now: Date): ConfigOutcome {
  return { generation, status: "rolled-back", reason, at: now.toISOString() };
}

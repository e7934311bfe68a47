import { createHash } from "node:crypto";
import { z } from "zod";
import { readIfExists, writeFileAtomic } from "./atomic-file.js";

/**
 * What the terminal remembers about configurations the centre pushed, in a small JSON
 * file beside the configuration (replaced atomically on every change):
 *
 * - `runningGeneration`: the generation of the configuration file in force (null: one
 *   written locally, never pushed);
 * - `handled`: the newest desired generation dealt with in any way (applied, refused,
 *   rolled back), so a retained message delivered again on every reconnect is not
 *   applied twice, and a configuration that failed is not retried in a loop;
 * - `pending`: the marker of a configuration written but not yet confirmed healthy,
 *   with the number of starts made with it;
 * - `lastOutcome`: what happened to the last desired configuration, for the report.
 */

const outcomeSchema = z.strictObject({
  generation: z.int().min(1),
  status: z.enum(["applied", "refused", "rolled-back"]),
  reason: z.string().optional(),
  at: z.string(),
});

const stateSchema = z.strictObject({
  v: z.literal(1),
  runningGeneration: z.int().min(1).nullable(),
  handled: z.strictObject({ generation: z.int().min(1), sha256: z.string() }).nullable(),
  pending: z
    .strictObject({
      generation: z.int().min(1),
      /** SHA-256 of the configuration file as written, to tell whether the write completed. */
      sha256: z.string(),
      previousGeneration: z.int().min(1).nullable(),
      writtenAt: z.string(),
      starts: z.int().min(0),
    })
    .nullable(),
  lastOutcome: outcomeSchema.nullable(),
});

export type RemoteConfigState = z.output<typeof stateSchema>;
export type ConfigOutcome = z.output<typeof outcomeSchema>;

export const INITIAL_STATE: RemoteConfigState = {
  v: 1,
  runningGeneration: null,
  handled: null,
  pending: null,
  lastOutcome: null,
};

/** Where a configuration file's companions live. */
export interface ConfigPaths {
  /** The agent's configuration file, as given to --config. */
  readonly configPath: string;
  /** The state file; `<configPath>.remote-state.json` unless set. */
  readonly statePath?: string | undefined;
}

export function statePathOf(paths: ConfigPaths): string {
  return paths.statePath ?? `${paths.configPath}.remote-state.json`;
}

/** The last configuration known to run well, restored on a rollback. */
export function backupPathOf(paths: ConfigPaths): string {
  return `${paths.configPath}.previous`;
}

export class RemoteConfigStateError extends Error {
  override readonly name = "RemoteConfigStateError";
}

export function readState(paths: ConfigPaths): RemoteConfigState {
  const path = statePathOf(paths);
  const bytes = readIfExists(path);
  if (bytes === undefined) return INITIAL_STATE;
  try {
    return stateSchema.parse(JSON.parse(bytes.toString("utf8")));
  } catch {
    throw new RemoteConfigStateError(
      `${path} is not a remote configuration state file; move it aside to start afresh`,
    );
  }
}

export function writeState(paths: ConfigPaths, state: RemoteConfigState): void {
  writeFileAtomic(statePathOf(paths), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

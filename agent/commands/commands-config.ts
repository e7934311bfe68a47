import { z } from "zod";
import { MAX_CENTRE_KEYS } from "./centre-keys.js";
import { keyIdSchema } from "./signed-envelope.js";

const filePath = z.string().trim().min(1, "expected a non-empty string");

/**
 * The `commands` section of the agent configuration. Without centre keys every command
 * (and every desired configuration) is refused as signed by an unknown key: a terminal
 * never acts on what it cannot verify.
 */
export const commandsConfigSchema = z.strictObject({
  /** Key id to the PEM file of the centre's Ed25519 public command key; two during a rotation. */
  centreKeys: z
    .record(keyIdSchema, filePath)
    .refine(
      (keys) => Object.keys(keys).length <= MAX_CENTRE_KEYS,
      `expected at most ${MAX_CENTRE_KEYS} keys (the current one and its successor)`,
    )
    .default({}),
  /** The longest a command may be valid for (expiresAt - issuedAt). */
  maxLifetimeMs: z.int().min(1_000).max(86_400_000).default(300_000),
  /** How far ahead of the terminal's clock a command's issuedAt may be. */
  clockSkewMs: z.int().min(0).max(600_000).default(30_000),
  /** The SQLite file of commands already seen (relative paths from the working directory). */
  replayStore: filePath.default(".basma/commands.sqlite"),
});

export type CommandsConfig = z.output<typeof commandsConfigSchema>;

/** Commands and desired configurations are small; anything larger is refused unread. */
export const MAX_COMMAND_BYTES = 16 * 1024;

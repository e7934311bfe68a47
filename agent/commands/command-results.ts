import { z } from "zod";
import type { RefusalCode } from "./command-refusal.js";

export const COMMAND_RESULT_VERSION = 1;

/**
 * What a terminal says about a command on the results topic (JSON, QoS 1): `accepted`
 * once every check passed and before it acts, then `done` or `failed`; or `refused`
 * alone, with a reason code, when it must not act at all.
 */
export const commandResultSchema = z.strictObject({
  v: z.literal(COMMAND_RESULT_VERSION),
  commandId: z.uuid(),
  kind: z.string().optional(),
  status: z.enum(["accepted", "refused", "done", "failed"]),
  /** A stable code for refusals (RefusalCode). */
  reason: z.string().optional(),
  /** Human-readable: what exactly was wrong or what happened. */
  detail: z.string().optional(),
  at: z.iso.datetime({ offset: true }),
  /** What a done command produced (the diagnostics bundle, the gate's open time, ...). */
  result: z.record(z.string(), z.unknown()).optional(),
});

export type CommandResult = z.output<typeof commandResultSchema>;

export type CommandResultStatus = CommandResult["status"];

export function encodeCommandResult(result: CommandResult): Uint8Array {
  return Buffer.from(JSON.stringify(result));
}

/** For the centre (and tests): a result message, or a thrown error saying why not. */
export function decodeCommandResult(bytes: Uint8Array): CommandResult {
  return commandResultSchema.parse(JSON.parse(Buffer.from(bytes).toString("utf8")));
}

export function refusalResult(
  commandId: string,
  code: RefusalCode,
  detail: string,
  at: Date,
  kind?: string,
): CommandResult {
  return {
    v: COMMAND_RESULT_VERSION,
    commandId,
    ...(kind !== undefined && { kind }),
    status: "refused",
    reason: code,
    detail,
    at: at.toISOString(),
  };
}

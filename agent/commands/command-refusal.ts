import type { EnvelopeFault } from "./signed-envelope.js";

/** Why a command was refused, as a stable code for the centre's dashboards. */
export type RefusalCode =
  | EnvelopeFault
  | "busy"
  | "unsupported-version"
  | "key-mismatch"
  | "wrong-device"
  | "expired"
  | "not-yet-valid"
  | "lifetime-too-long"
  | "before-replay-store"
  | "replayed"
  | "unknown-kind"
  | "bad-params"
  | "gate-refused"
  | "internal-error";

/** A command that must not be acted upon; commandId is set when a reply can be addressed. */
export class CommandRefused extends Error {
  override readonly name = "CommandRefused";
  constructor(
    readonly code: RefusalCode,
    readonly detail: string,
    readonly commandId?: string,
    readonly kind?: string,
  ) {
    super(`${code}: ${detail}`);
  }
}

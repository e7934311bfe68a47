/** Why an image cannot be measured; stable strings, safe to log (no pixel data). */
export type Iso29794InputProblem =
  "not-8-bit" | "bad-dimensions" | "truncated" | "unsupported-resolution" | "blank" | "too-small";

/** Thrown by measureIso29794 for input it refuses; every other failure is a bug. */
export class Iso29794InputError extends Error {
  override readonly name = "Iso29794InputError";

  constructor(
    readonly problem: Iso29794InputProblem,
    message: string,
  ) {
    super(message);
  }
}

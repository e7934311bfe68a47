import { SensorError } from "../sensor.js";

/** The error to reject with when `signal` fired: its reason if that is already a SensorError. */
export function abortError(signal: AbortSignal, what: string): SensorError {
  const reason: unknown = signal.reason;
  if (reason instanceof SensorError) return reason;
  return new SensorError("aborted", `${what} aborted`, undefined, { cause: reason });
}

/**
 * Reads `aborted` through a call: after an await TypeScript still narrows the property
 * to what it was before, though the signal may have fired meanwhile.
 */
export function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}

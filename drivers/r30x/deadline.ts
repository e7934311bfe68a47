import { abortError } from "../link/abort.js";
import { SensorError } from "../sensor.js";

/**
 * Runs `operation` with a signal that fires when the caller aborts or when
 * `timeoutMs` has passed, the latter with a "timeout" SensorError as its reason so
 * whatever is waiting rejects with the right kind.
 */
export async function withDeadline<T>(
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
  what: string,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { timeoutMs, signal } = options;
  if (signal?.aborted) throw abortError(signal, what);
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new SensorError("timeout", `${what}: gave up after ${timeoutMs} ms`));
  }, timeoutMs);
  const onAbort = (): void => {
    if (signal) controller.abort(abortError(signal, what));
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await operation(controller.signal);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Waits `ms`, rejecting early with the abort's reason. */
export function delay(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal, what));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      if (signal) reject(abortError(signal, what));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

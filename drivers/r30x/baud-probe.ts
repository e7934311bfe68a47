import { SensorError } from "../sensor.js";
import { isSilence, openLinkSession, type LinkSession, type LinkTarget } from "./link-session.js";
import { BAUD_UNIT } from "./system-parameters.js";

/**
 * The order to try rates in when the configured one is silent: the factory default
 * first, then the rates the vendors' manuals list, then the rest of 9600 x N.
 */
export const PROBE_ORDER: readonly number[] = [6, 12, 1, 2, 4, 3, 5, 7, 8, 9, 10, 11].map(
  (n) => n * BAUD_UNIT,
);

/** A VfyPwd round trip is a few dozen bytes: even at 9600 baud this is generous. */
const PROBE_TIMEOUT_MS = 300;

/**
 * Finds the module when it does not answer at the configured rate (someone changed
 * it, or a tuned module kept a rate in flash). Only silence moves on to the next
 * rate: a module that answers with an error is there, and the error stands.
 */
export async function openAtAnyRate(
  target: LinkTarget,
  configuredBaud: number,
  signal: AbortSignal,
): Promise<LinkSession> {
  try {
    return await openLinkSession(target, configuredBaud, { signal });
  } catch (error) {
    if (!isSilence(error)) throw error;
  }
  for (const baud of PROBE_ORDER) {
    if (baud === configuredBaud) continue;
    try {
      const session = await openLinkSession(target, baud, {
        signal,
        timeoutMs: PROBE_TIMEOUT_MS,
        retransmit: false,
      });
      target.logger?.warn(
        { path: target.path, configuredBaud, foundBaud: baud },
        "module answers at another baud rate than configured; using it (fix the configuration)",
      );
      return session;
    } catch (error) {
      if (!isSilence(error)) throw error;
    }
  }
  throw new SensorError(
    "no-reply",
    `${target.label}: no R30x module answered at any standard baud rate (9600-115200)`,
  );
}

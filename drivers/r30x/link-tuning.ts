import { openAtAnyRate } from "./baud-probe.js";
import { isSilence, openLinkSession, type LinkSession, type LinkTarget } from "./link-session.js";
import { BAUD_UNIT } from "./system-parameters.js";

/** The fastest rate the family runs at (9600 x 12). */
const FASTEST_BAUD = 12 * BAUD_UNIT;
const LARGEST_PACKET = 256;
/** Tries at putting the module back to its old rate over a line that garbles the fast one. */
const RESTORE_ATTEMPTS = 4;
/** Round trips that must all succeed before a new rate is trusted. */
const VERIFY_ROUND_TRIPS = 8;

/**
 * Raises packet size and baud rate to the fastest the module and the cable carry,
 * proving each step with traffic before keeping it, and falling back when it fails.
 * The module stores both in flash, so a failed step is always undone.
 */
export async function tuneLink(
  target: LinkTarget,
  session: LinkSession,
  signal: AbortSignal,
): Promise<LinkSession> {
  const tuned = await raisePacketSize(target, session, signal);
  return raiseBaud(target, tuned, signal);
}

async function raisePacketSize(
  target: LinkTarget,
  session: LinkSession,
  signal: AbortSignal,
): Promise<LinkSession> {
  if (session.parameters.packetSize >= LARGEST_PACKET) return session;
  const before = session.parameters.packetSize;
  try {
    await session.commands.setSystemParameter(
      { parameter: "packet-size", bytes: LARGEST_PACKET },
      { signal },
    );
    const parameters = await session.commands.readSystemParameters({ signal });
    if (parameters.packetSize !== LARGEST_PACKET) {
      // Some modules apply SetSysPara only after a power cycle; keep what runs now.
      target.logger?.warn(
        { path: target.path, packetSize: parameters.packetSize },
        "module kept its packet size",
      );
    }
    return { ...session, parameters };
  } catch (error) {
    if (!isSilence(error)) throw error;
    target.logger?.warn({ path: target.path, err: error }, "larger packets failed; reopening");
    await session.close("packet size change failed");
    const reopened = await openAtAnyRate(target, session.baud, signal);
    await reopened.commands
      .setSystemParameter(
        { parameter: "packet-size", bytes: before as 32 | 64 | 128 | 256 },
        { signal },
      )
      .catch(() => undefined);
    return reopened;
  }
}

async function raiseBaud(
  target: LinkTarget,
  session: LinkSession,
  signal: AbortSignal,
): Promise<LinkSession> {
  const original = session.baud;
  if (original >= FASTEST_BAUD) return session;
  // The module switches right after acknowledging, so the old line is done either way.
  await session.commands.setSystemParameter(
    { parameter: "baud", multiplier: FASTEST_BAUD / BAUD_UNIT },
    { signal },
  );
  await session.close("baud rate change");
  let fast: LinkSession | undefined;
  try {
    fast = await openLinkSession(target, FASTEST_BAUD, { signal });
    // Without retransmission: retries would hide exactly the errors this is looking for.
    for (let i = 0; i < VERIFY_ROUND_TRIPS; i++) {
      await fast.commands.readSystemParameters({ signal, retransmit: false });
    }
    target.logger?.debug({ path: target.path, from: original, to: FASTEST_BAUD }, "link tuned");
    return fast;
  } catch (error) {
    if (!isSilence(error)) throw error;
    await fast?.close("baud rate verification failed");
  }
  // The cable does not carry the fast rate: find the module wherever it is and put it
  // back. On a marginal line the restoring command itself may be garbled, so try again;
  // setting a rate twice does no harm.
  target.logger?.warn(
    { path: target.path, baud: FASTEST_BAUD },
    "line unreliable at the higher rate; falling back",
  );
  let lastError: unknown;
  for (let attempt = 0; attempt < RESTORE_ATTEMPTS; attempt++) {
    const found = await openAtAnyRate(target, FASTEST_BAUD, signal);
    if (found.baud === original) return found;
    try {
      await found.commands.setSystemParameter(
        { parameter: "baud", multiplier: original / BAUD_UNIT },
        { signal },
      );
      await found.close("restoring the baud rate");
      return await openLinkSession(target, original, { signal });
    } catch (error) {
      if (!isSilence(error)) throw error;
      lastError = error;
      await found.close("restoring the baud rate failed");
    }
  }
  throw lastError;
}

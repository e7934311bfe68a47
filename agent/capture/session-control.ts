import type { DeclaredFingerReason } from "./capture-plan.js";
import type { FingerPosition } from "./finger-position.js";

/** Why a session was cut short from outside. */
export type SessionInterruption = "tamper" | "traveller-left";

/**
 * What the world outside the sensor can tell a running session: the tamper alarm or the
 * presence sensor ends it, and an operator can declare a finger missing or bandaged.
 * A declaration for the finger being taken right now stops its waits at once.
 */
export class SessionControl {
  readonly #session = new AbortController();
  readonly #declared = new Map<FingerPosition, DeclaredFingerReason>();
  readonly #fingerWaits = new Map<FingerPosition, AbortController>();

  /** Aborts when the session is interrupted; the reason is the SessionInterruption. */
  get signal(): AbortSignal {
    return this.#session.signal;
  }

  get interruption(): SessionInterruption | undefined {
    return this.#session.signal.aborted
      ? (this.#session.signal.reason as SessionInterruption)
      : undefined;
  }

  /** The first interruption wins; later ones change nothing. */
  interrupt(cause: SessionInterruption): void {
    if (!this.#session.signal.aborted) this.#session.abort(cause);
  }

  /** An operator's word that a finger cannot be given; it holds for the rest of the session. */
  declareFinger(position: FingerPosition, reason: DeclaredFingerReason): void {
    if (this.#declared.has(position)) return;
    this.#declared.set(position, reason);
    this.#fingerWaits.get(position)?.abort(reason);
  }

  declared(position: FingerPosition): DeclaredFingerReason | undefined {
    return this.#declared.get(position);
  }

  /** Aborts when `position` is declared; the session asks for one per finger it takes. */
  fingerSignal(position: FingerPosition): AbortSignal {
    let controller = this.#fingerWaits.get(position);
    if (controller === undefined) {
      controller = new AbortController();
      this.#fingerWaits.set(position, controller);
      const reason = this.#declared.get(position);
      if (reason !== undefined) controller.abort(reason);
    }
    return controller.signal;
  }
}

import type { PromptId } from "../guidance/prompt-catalogue.js";
import type { ConditionVerdict } from "../quality/verdict.js";
import type { FingerOutcome, SessionOutcome } from "../records/capture-record.js";
import type { FingerPosition } from "./finger-position.js";

/**
 * What a capture session tells the rest of the terminal (a kiosk display, the log) as it
 * goes. Scores, conditions and prompts only: an image, a template or anything else
 * derived from the finger itself never goes into an event, since events leave the
 * process for the display.
 */
export type SessionEvent =
  | {
      readonly type: "session-started";
      readonly sessionId: string;
      readonly plan: string;
      readonly fingers: readonly FingerPosition[];
    }
  | {
      readonly type: "finger-requested";
      readonly sessionId: string;
      readonly position: FingerPosition;
      /** 1-based attempt about to be taken. */
      readonly attempt: number;
      readonly sensorId: string;
    }
  | {
      readonly type: "attempt-assessed";
      readonly sessionId: string;
      readonly position: FingerPosition;
      readonly attempt: number;
      readonly score: number;
      readonly condition: ConditionVerdict | "refused";
      readonly accepted: boolean;
    }
  | {
      readonly type: "prompt-shown";
      /** Absent for prompts outside a session (ready, tamper between sessions). */
      readonly sessionId?: string;
      readonly promptId: PromptId;
      readonly text: { readonly en: string; readonly ar: string };
      readonly position?: FingerPosition;
    }
  | {
      readonly type: "finger-accepted";
      readonly sessionId: string;
      readonly position: FingerPosition;
      readonly score: number;
      readonly attempts: number;
      /** True when the budget ran out and the best attempt was kept under the threshold. */
      readonly belowThreshold: boolean;
    }
  | {
      readonly type: "finger-not-taken";
      readonly sessionId: string;
      readonly position: FingerPosition;
      readonly outcome: Exclude<FingerOutcome, "captured" | "below-threshold">;
    }
  | {
      readonly type: "session-ended";
      readonly sessionId: string;
      readonly outcome: SessionOutcome;
      readonly durationMs: number;
      readonly fingers: readonly {
        readonly position: FingerPosition;
        readonly outcome: FingerOutcome;
        readonly score?: number;
      }[];
    };

export type SessionEventType = SessionEvent["type"];
/** An event as it reaches listeners: with the time it happened. */
export type TimedSessionEvent = SessionEvent & { readonly at: string };

type Listener = (event: TimedSessionEvent) => void;

/**
 * Where session events go. A listener that throws is reported to `onListenerError` and
 * the others still hear the event: a broken display must never stop a capture.
 */
export class SessionEvents {
  readonly #listeners = new Set<Listener>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void = () => undefined) {
    this.#onListenerError = onListenerError;
  }

  /** Every event from now on; returns the unsubscribe function. */
  on(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: SessionEvent): void {
    const timed: TimedSessionEvent = { ...event, at: new Date().toISOString() };
    for (const listener of [...this.#listeners]) {
      try {
        listener(timed);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}

import type { PromptId } from "../agent/guidance/prompt-catalogue.js";
import type { TimedSessionEvent } from "../agent/capture/session-events.js";
import type { GreyImage } from "../drivers/sensor.js";
import type { PrintCondition } from "./prints/conditions.js";
import { renderPrint } from "./prints/render-print.js";
import type { SensorName } from "./prints/sensor-profiles.js";
import type { FingerPlaten } from "./travellers.js";
import { FEEDBACK_CODES } from "../agent/quality/verdict.js";

/** What the traveller knows when putting a finger down. */
export interface Placement {
  readonly position: number;
  /** 0 for the first time this finger goes down in the session, then 1, 2, ... */
  readonly impression: number;
  /** Prompts shown for this finger so far, in order (what the traveller has been told). */
  readonly promptsSeen: readonly PromptId[];
}

export interface PromptedTravellerOptions {
  readonly platen: FingerPlaten;
  /** The simulated person: with the position it fixes each finger's ridge pattern. */
  readonly seed: number;
  readonly sensor: SensorName;
  /** How long the traveller takes to do what a prompt asks. */
  readonly reactionMs: number;
  /** The state of the skin for each placement; clean (none) unless set. */
  readonly conditions?: (placement: Placement) => readonly PrintCondition[];
  /** After this many fingers taken the traveller stops placing any (walks away). */
  readonly leavesAfterFingers?: number;
}

/** One finger the traveller put down, and how. */
export interface PlacementMade extends Placement {
  readonly conditions: readonly PrintCondition[];
}

/** Prompts after which the traveller lifts the finger and puts it down again: all advice. */
const LIFT_AND_RETRY: ReadonlySet<PromptId> = new Set<PromptId>(FEEDBACK_CODES);

/** Prompts that end the session: the traveller takes their finger away. */
const CLOSING: ReadonlySet<PromptId> = new Set<PromptId>([
  "session-complete",
  "session-incomplete",
  "device-fault",
  "tamper-alarm",
]);

/**
 * A traveller who does what the session's prompts say, as a person at a kiosk would:
 * places the finger asked for, lifts it once accepted (or kept below the threshold),
 * and on guidance (wipe, press
 * firmly, centre...) lifts it and puts it down again a moment later, the skin as
 * `conditions` says it now is (so a wet finger can dry after the wipe prompt). Feed it
 * the session's events with `hear`.
 */
export class PromptedTraveller {
  readonly #options: PromptedTravellerOptions;
  readonly #placements: PlacementMade[] = [];
  readonly #prompts = new Map<number, PromptId[]>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #accepted = 0;
  #gone = false;

  constructor(options: PromptedTravellerOptions) {
    this.#options = options;
  }

  /** Every finger put down, in order. */
  get placements(): readonly PlacementMade[] {
    return this.#placements;
  }

  /** Puts finger `position` down now, in the state `conditions` gives. */
  place(position: number): void {
    if (this.#gone) return;
    const impression = this.#placements.filter((p) => p.position === position).length;
    const placement: Placement = {
      position,
      impression,
      promptsSeen: [...(this.#prompts.get(position) ?? [])],
    };
    const conditions = this.#options.conditions?.(placement) ?? [];
    const image: GreyImage = renderPrint({
      seed: this.#options.seed,
      position,
      impression,
      sensor: this.#options.sensor,
      conditions,
    });
    this.#placements.push({ ...placement, conditions });
    this.#options.platen.placeFinger(image);
  }

  /** A session event, as the kiosk display would show it to the traveller. */
  readonly hear = (event: TimedSessionEvent): void => {
    if (event.type === "finger-accepted") {
      // The display says the finger is taken, flagged or not; no prompt does when the
      // budget ran out, so this is the traveller's cue to lift.
      this.#options.platen.liftFinger();
      this.#accepted++;
      const leaves = this.#options.leavesAfterFingers;
      if (leaves !== undefined && this.#accepted >= leaves) this.walkAway();
      return;
    }
    if (event.type !== "prompt-shown") return;
    const { promptId, position } = event;
    if (position !== undefined) {
      const seen = this.#prompts.get(position) ?? [];
      seen.push(promptId);
      this.#prompts.set(position, seen);
    }
    if (promptId === "attempt-accepted" || CLOSING.has(promptId)) {
      this.#options.platen.liftFinger();
    } else if (position !== undefined && promptId === "place-named-finger") {
      this.#later(() => this.place(position));
    } else if (position !== undefined && LIFT_AND_RETRY.has(promptId)) {
      this.#options.platen.liftFinger();
      this.#later(() => this.place(position));
    }
  };

  /** Lifts the finger and places no more. */
  walkAway(): void {
    this.#gone = true;
    this.#options.platen.liftFinger();
    this.stop();
  }

  /** Cancels reactions still pending. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #later(task: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, this.#options.reactionMs);
    this.#timers.add(timer);
  }
}

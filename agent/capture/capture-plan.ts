import type { AgentConfig } from "../config/schema.js";
import { BUILT_IN_PLANS, type FingerPosition } from "./finger-position.js";

export type DeclaredFingerReason = "missing" | "bandaged";

/** One step of a plan, with the threshold and budget that apply to it. */
export interface PlannedFinger {
  readonly position: FingerPosition;
  /** Score (0-100) at or above which an attempt is accepted. */
  readonly qualityThreshold: number;
  /** Attempts before giving up and keeping the best. */
  readonly attempts: number;
  /** Set when configuration says this finger is not to be asked for. */
  readonly declared?: DeclaredFingerReason;
}

export interface CapturePlan {
  readonly name: string;
  readonly fingers: readonly PlannedFinger[];
  /** Attempts over the whole session; Infinity when only the time budget bounds it. */
  readonly attemptsPerSession: number;
  /** The whole traveller's time budget. */
  readonly sessionMs: number;
}

/**
 * The plan the session runs, every default resolved: finger overrides win over the
 * plan's own settings, which win over the capture section's.
 */
export function resolvePlan(capture: AgentConfig["capture"]): CapturePlan {
  const { plan } = capture;
  const named =
    typeof plan === "string"
      ? {
          name: plan,
          fingers: BUILT_IN_PLANS[plan],
          qualityThreshold: undefined,
          attempts: undefined,
        }
      : {
          name: plan.name,
          fingers: plan.fingers,
          qualityThreshold: plan.qualityThreshold,
          attempts: plan.attemptsPerFinger,
        };
  const declared = new Map(capture.declaredFingers.map((d) => [d.position, d.reason]));
  return {
    name: named.name,
    fingers: named.fingers.map((position) => {
      const own = capture.fingers[String(position)];
      const reason = declared.get(position);
      return {
        position,
        qualityThreshold:
          own?.qualityThreshold ?? named.qualityThreshold ?? capture.qualityThreshold,
        attempts: own?.attempts ?? named.attempts ?? capture.attemptsPerFinger,
        ...(reason !== undefined && { declared: reason }),
      };
    }),
    attemptsPerSession: capture.attemptsPerSession ?? Number.POSITIVE_INFINITY,
    sessionMs: capture.timeouts.sessionMs,
  };
}

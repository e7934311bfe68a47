import type { AgentConfig } from "../config/schema.js";
import { BUILT_IN_PLANS, type FingerPosition } from "./finger-position.js";

export interface CapturePlan {
  readonly name: string;
  readonly fingers: readonly FingerPosition[];
}

export function resolvePlan(plan: AgentConfig["capture"]["plan"]): CapturePlan {
  if (typeof plan === "string") return { name: plan, fingers: BUILT_IN_PLANS[plan] };
  return { name: plan.name, fingers: plan.fingers };
}

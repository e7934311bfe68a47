export {
  GateDecisionRefused,
  authoriseDecision,
  describeDecision,
  isAuthorisedDecision,
  type AuthorisedGateDecision,
  type GateDecisionRequest,
  type VerifiedGateCommand,
} from "./gate-decision.js";
export type { GateLogger } from "./gate-logger.js";
export {
  GateRelay,
  type GateOpenResult,
  type GateRelayOptions,
  type GateState,
} from "./gate-relay.js";
export { GateSignaller, type GateSignallerOptions } from "./gate-signaller.js";
export { onProcessExit, type ExitHookHost } from "./exit-hooks.js";
export {
  PresenceMonitor,
  type PresenceEvents,
  type PresenceMonitorOptions,
} from "./presence-monitor.js";
export {
  TamperMonitor,
  type TamperCause,
  type TamperClearResult,
  type TamperEvents,
  type TamperMonitorOptions,
} from "./tamper-monitor.js";
export {
  BLINK_HALF_PERIOD_MS,
  LAMP_TICK_MS,
  TONE_RHYTHMS,
  lampLit,
  type ToneRhythm,
} from "./signal-timing.js";

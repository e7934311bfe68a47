import type { AgentConfig } from "../config/schema.js";
import { redactSecrets } from "./redact-secrets.js";
import type { ConfigOutcome, RemoteConfigState } from "./remote-config-state.js";

/**
 * What the terminal publishes, retained, on config/reported: the configuration it is
 * actually running (defaults filled in, secrets redacted), its generation, whether it
 * is still being confirmed, and what became of the last desired configuration.
 */
export interface ReportedConfig {
  readonly v: 1;
  readonly deviceId: string;
  readonly at: string;
  /** The running configuration's generation; null for one never pushed by the centre. */
  readonly generation: number | null;
  /** "confirming" until a freshly applied configuration has been healthy once. */
  readonly state: "running" | "confirming";
  readonly config: unknown;
  readonly lastDesired: ConfigOutcome | null;
}

export function buildReportedConfig(options: {
  deviceId: string;
  running: AgentConfig;
  state: RemoteConfigState;
  /** The generation this process started with and has not yet confirmed, if any. */
  confirming: number | undefined;
  now: Date;
}): ReportedConfig {
  const { state, confirming } = options;
  return {
    v: 1,
    deviceId: options.deviceId,
    at: options.now.toISOString(),
    // Not state.pending: between writing a new file and restarting, the old one still runs.
    generation: confirming ?? state.runningGeneration,
    state: confirming === undefined ? "running" : "confirming",
    config: redactSecrets(options.running),
    lastDesired: state.lastOutcome,
  };
}

export function encodeReportedConfig(report: ReportedConfig): Uint8Array {
  return Buffer.from(JSON.stringify(report));
}

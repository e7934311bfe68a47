import { arch, platform, release, uptime } from "node:os";
import { scrubBinary } from "../log/logger.js";
import { redactSecrets } from "../remote-config/redact-secrets.js";

/** What the agent hands over for a diagnostics bundle; everything is optional but the version. */
export interface DiagnosticsSources {
  readonly agentVersion: string;
  /** The configuration as it runs; secrets are redacted here. */
  readonly config?: unknown;
  /** Queue counts and sizes (Outbox.stats(), health): metadata only, never payloads. */
  readonly queue?: unknown;
  /** Anything else worth seeing: sensor identities, sync state, gate state and holds. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** Larger bundles drop their oldest log lines first; the rest is small. */
export const MAX_DIAGNOSTICS_BYTES = 192 * 1024;

/**
 * The diagnostics bundle a collect-diagnostics command returns: versions, the running
 * configuration with secrets redacted, queue statistics and recent log lines. It is
 * built from metadata only; binary values anywhere are replaced by their length, so no
 * image or template can ride along even if a source hands one over by mistake.
 */
export function buildDiagnostics(
  sources: DiagnosticsSources,
  logLines: readonly string[],
  now: Date,
): Record<string, unknown> {
  const bundle = {
    collectedAt: now.toISOString(),
    versions: { agent: sources.agentVersion, ...process.versions },
    system: {
      platform: platform(),
      arch: arch(),
      kernel: release(),
      uptimeS: Math.round(uptime()),
      processUptimeS: Math.round(process.uptime()),
      rssBytes: process.memoryUsage().rss,
    },
    config: redactSecrets(sources.config ?? null),
    queue: scrubBinary(sources.queue ?? null),
    extra: redactSecrets(sources.extra ?? {}),
  };
  // Newest lines first until the budget is spent; each costs its JSON form and a comma.
  let budget = MAX_DIAGNOSTICS_BYTES - jsonBytes({ ...bundle, logLines: [], logLinesDropped: 0 });
  let kept = 0;
  for (let index = logLines.length - 1; index >= 0; index -= 1) {
    budget -= jsonBytes(logLines[index]) + 1;
    if (budget < 0) break;
    kept += 1;
  }
  const dropped = logLines.length - kept;
  return {
    ...bundle,
    logLines: logLines.slice(logLines.length - kept),
    ...(dropped > 0 && { logLinesDropped: dropped }),
  };
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), "utf8");
}

import type { Logger } from "../log/logger.js";
import type { BrokerLink } from "./broker-link.js";
import type { CentreClock, GuardedWallClock } from "./centre-clock.js";
import type { SyncCounters } from "./sync-counters.js";
import type { Topics } from "./topics.js";
import {
  encodeStatus,
  encodeTelemetry,
  STATUS_VERSION,
  TELEMETRY_VERSION,
  type StatusMessage,
  type TerminalHealth,
} from "./wire.js";

/** What the agent knows of itself; the reporter adds what the link knows. */
export type LocalHealth = Omit<TerminalHealth, "clockOffsetMs" | "protocolVersion">;

export interface HealthReporterOptions {
  readonly link: BrokerLink;
  readonly topics: Topics;
  readonly agentVersion: string;
  /** Absent where there is no terminal around the sync (benchmarks): status says only online. */
  readonly health?: (() => LocalHealth) | undefined;
  /** Gauges beside the sync counters (in flight, sessions, ...). */
  readonly gauges: () => Record<string, number>;
  readonly counters: SyncCounters;
  readonly centreClock: CentreClock;
  readonly wallClock: GuardedWallClock;
  readonly logger: Logger;
  /** The retained status is refreshed this often even when nothing changed. */
  readonly statusIntervalMs: number;
  readonly telemetryIntervalMs: number;
}

/** Changes closer together than this go out as one status message. */
const STATUS_COALESCE_MS = 1_000;

/**
 * The retained status topic (birth, health, and the last will's offline) and the
 * periodic telemetry. A change (queue level, a sensor lost, out of service) is
 * published within a second; otherwise the status is refreshed on its interval.
 */
export class HealthReporter {
  readonly #options: HealthReporterOptions;
  readonly #startedAt = performance.now();
  #statusTimer: NodeJS.Timeout | undefined;
  #telemetryTimer: NodeJS.Timeout | undefined;
  #pending: NodeJS.Timeout | undefined;

  constructor(options: HealthReporterOptions) {
    this.#options = options;
  }

  start(): void {
    const { link, statusIntervalMs, telemetryIntervalMs } = this.#options;
    link.onUp(() => {
      this.#publishStatus();
    });
    this.#statusTimer = setInterval(() => {
      this.#publishStatus();
    }, statusIntervalMs);
    this.#statusTimer.unref();
    this.#telemetryTimer = setInterval(() => {
      this.#publishTelemetry();
    }, telemetryIntervalMs);
    this.#telemetryTimer.unref();
  }

  /** Something in the health changed: say so soon. */
  changed(): void {
    if (this.#pending !== undefined) return;
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      this.#publishStatus();
    }, STATUS_COALESCE_MS);
    this.#pending.unref();
  }

  /** The status as it stands, online or (for the will and the farewell) offline. */
  status(state: StatusMessage["state"]): StatusMessage {
    const { agentVersion, wallClock } = this.#options;
    const base: StatusMessage = {
      v: STATUS_VERSION,
      state,
      at: wallClock.nowIso(),
      version: agentVersion,
    };
    const health = this.health();
    return state === "offline" || health === undefined ? base : { ...base, health };
  }

  health(): TerminalHealth | undefined {
    const { health, centreClock, link } = this.#options;
    if (health === undefined) return undefined;
    return {
      ...health(),
      clockOffsetMs: centreClock.offset?.offsetMs ?? null,
      protocolVersion: link.protocolVersion,
    };
  }

  #publishStatus(): void {
    const { link, topics, logger } = this.#options;
    if (!link.connected) return;
    let payload: Buffer;
    try {
      payload = encodeStatus(this.status("online"));
    } catch (error) {
      logger.error({ err: error }, "cannot build the status message");
      return;
    }
    link.publish(topics.status, payload, { qos: 1, retain: true }).catch((error: unknown) => {
      logger.debug({ err: error }, "status not published; sent again on reconnect");
    });
  }

  #publishTelemetry(): void {
    const { link, topics, counters, gauges, wallClock, logger } = this.#options;
    if (!link.connected) return;
    const payload = encodeTelemetry({
      v: TELEMETRY_VERSION,
      at: wallClock.nowIso(),
      uptimeSeconds: Math.round((performance.now() - this.#startedAt) / 1_000),
      counters: counters.snapshot(),
      gauges: gauges(),
    });
    // QoS 0: a lost sample is replaced by the next; counters are totals, so nothing is lost.
    link.publish(topics.telemetry, payload, { qos: 0 }).catch((error: unknown) => {
      logger.debug({ err: error }, "telemetry not published");
    });
  }

  stop(): void {
    clearInterval(this.#statusTimer);
    clearInterval(this.#telemetryTimer);
    clearTimeout(this.#pending);
  }
}

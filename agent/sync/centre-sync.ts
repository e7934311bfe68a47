import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import type { Outbox } from "../queue/outbox.js";
import { BrokerLink, type InboundHandler } from "./broker-link.js";
import { CentreClock, GuardedWallClock } from "./centre-clock.js";
import { HealthReporter, type LocalHealth } from "./health-reporter.js";
import { RecordSync } from "./record-sync.js";
import { SyncCounters } from "./sync-counters.js";
import { deviceTopics, type Topics } from "./topics.js";
import { encodeStatus } from "./wire.js";

export interface CentreSyncOptions {
  readonly mqtt: AgentConfig["mqtt"];
  readonly deviceId: string;
  readonly outbox: Outbox;
  readonly logger: Logger;
  readonly agentVersion: string;
  /** The terminal's own health for the status topic (sensors, queue, capture state). */
  readonly health?: (() => LocalHealth) | undefined;
  readonly gauges?: (() => Record<string, number>) | undefined;
  /** Called after each record the centre acknowledged is deleted. */
  readonly onAcknowledged?: ((id: string) => void) | undefined;
  /** Tests pin the reconnect jitter. */
  readonly random?: (() => number) | undefined;
}

/**
 * Everything between the terminal and the centre over one broker connection: records
 * up with end-to-end acknowledgement, status and telemetry, and the inbound topics
 * (commands, configuration) that other layers route here.
 */
export class CentreSync {
  readonly topics: Topics;
  readonly counters = new SyncCounters();
  readonly centreClock = new CentreClock();
  readonly wallClock = new GuardedWallClock();
  readonly #link: BrokerLink;
  readonly #records: RecordSync;
  readonly #reporter: HealthReporter;

  constructor(options: CentreSyncOptions) {
    const { mqtt: config, deviceId, logger } = options;
    const log = logger.child({ component: "sync" });
    this.topics = deviceTopics(config.topicPrefix, deviceId);
    this.#link = new BrokerLink({
      mqtt: config,
      clientId: config.clientId ?? `basma-${deviceId}`,
      will: {
        topic: this.topics.status,
        payload: () => encodeStatus(this.#reporter.status("offline")),
      },
      backoff: {
        initialMs: config.reconnect.initialMs,
        maxMs: config.reconnect.maxMs,
        stableAfterMs: 60_000,
      },
      random: options.random,
      logger: log,
    });
    this.#records = new RecordSync({
      link: this.#link,
      topics: this.topics,
      deviceId,
      outbox: options.outbox,
      logger: log,
      counters: this.counters,
      clock: this.centreClock,
      inFlightWindow: config.inFlightWindow,
      ackTimeoutMs: config.ackTimeoutSeconds * 1_000,
      maxBytesPerSecond: config.maxBytesPerSecond,
      onAcknowledged: options.onAcknowledged,
    });
    this.#reporter = new HealthReporter({
      link: this.#link,
      topics: this.topics,
      agentVersion: options.agentVersion,
      health: options.health,
      gauges: () => ({ ...options.gauges?.(), recordsInFlight: this.#records.inFlight }),
      counters: this.counters,
      centreClock: this.centreClock,
      wallClock: this.wallClock,
      logger: log,
      statusIntervalMs: config.statusIntervalSeconds * 1_000,
      telemetryIntervalMs: config.telemetryIntervalSeconds * 1_000,
    });
    this.#link.onUp(() => {
      this.counters.connections = this.#link.connections;
    });
  }

  get connected(): boolean {
    return this.#link.connected;
  }

  get protocolVersion(): 4 | 5 {
    return this.#link.protocolVersion;
  }

  start(): void {
    this.#records.start();
    this.#reporter.start();
    this.#link.start();
  }

  /** New records are queued: send what the window allows. */
  pump(): void {
    this.#records.pump();
  }

  /** Offers every unacknowledged record again; returns how many were waiting on a lease. */
  resync(): number {
    return this.#records.resync();
  }

  /** The terminal's health changed (queue level, a sensor, capture state). */
  healthChanged(): void {
    this.#reporter.changed();
  }

  health(): ReturnType<HealthReporter["health"]> {
    return this.#reporter.health();
  }

  /** Called on every connection to the broker, the first and each reconnect. */
  onUp(listener: () => void): void {
    this.#link.onUp(listener);
  }

  /** Inbound messages on `topic` go to handler (commands, desired configuration). */
  route(topic: string, handler: InboundHandler): void {
    this.#link.route(topic, handler);
  }

  publish(
    topic: string,
    payload: Uint8Array,
    options: { qos: 0 | 1; retain?: boolean },
  ): Promise<void> {
    return this.#link.publish(topic, payload, options);
  }

  /** Cuts the current connection as a failing link would (tests; the agent reconnects). */
  dropConnection(): void {
    this.#link.dropConnection();
  }

  /** Says offline on the status topic, then disconnects. */
  async stop(): Promise<void> {
    this.#records.stop();
    this.#reporter.stop();
    await this.#link.stop({
      topic: this.topics.status,
      payload: encodeStatus(this.#reporter.status("offline")),
    });
  }
}

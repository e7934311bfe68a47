import type { CentreKeys } from "../commands/centre-keys.js";
import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import { applyDesiredConfig, recordRefusal } from "./apply-config.js";
import {
  confirmPendingConfig,
  rollBackPendingConfig,
  type StartupConfigState,
} from "./config-recovery.js";
import {
  DesiredConfigRefused,
  validateDesiredConfig,
  verifyDesiredConfig,
  type DesiredConfig,
} from "./desired-config.js";
import { readState, type ConfigPaths } from "./remote-config-state.js";
import {
  buildReportedConfig,
  encodeReportedConfig,
  type ReportedConfig,
} from "./reported-config.js";

export interface RemoteConfigOptions {
  readonly paths: ConfigPaths;
  readonly deviceId: string;
  readonly keys: CentreKeys;
  /** The configuration this process actually runs, as loaded. */
  readonly running: AgentConfig;
  /** What recoverConfigAtStartup() returned for this start. */
  readonly startup: StartupConfigState;
  readonly healthDeadlineMs: number;
  /** Publishes the report, retained, on config/reported (QoS 1). */
  readonly publishReported: (payload: Uint8Array) => Promise<void>;
  /** Restarts the agent into the configuration file as it now is. */
  readonly requestRestart: (reason: string) => void;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * The terminal's side of config/desired and config/reported. A desired configuration
 * is verified (signature, addressee, generation newer than any handled), validated
 * against the agent's schema, written atomically with a backup and a pending marker,
 * and the agent restarted into it. The new start must report healthy within the
 * deadline, or it is rolled back and the agent restarted again; a start that crashes
 * is rolled back by the next start (recoverConfigAtStartup). Nothing here throws:
 * every refusal is logged and, once the message is known to come from the centre,
 * reported.
 */
export class RemoteConfig {
  readonly #options: RemoteConfigOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  #confirming: number | undefined;
  #deadline: NodeJS.Timeout | undefined;
  /** Set once a new file is written: this process is on its way out. */
  #restarting = false;
  #working = false;
  /** The newest desired message that arrived while busy; older ones are superseded. */
  #next: Uint8Array | undefined;

  constructor(options: RemoteConfigOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#confirming =
      options.startup.state === "confirming" ? options.startup.generation : undefined;
    if (options.startup.state === "rolled-back") {
      this.#log.error(
        {
          event: "config-rolled-back",
          generation: options.startup.generation,
          reason: options.startup.reason,
        },
        "pushed configuration rolled back at start-up",
      );
    }
  }

  /** The report of what runs, as published. */
  reported(): ReportedConfig {
    return buildReportedConfig({
      deviceId: this.#options.deviceId,
      running: this.#options.running,
      state: readState(this.#options.paths),
      confirming: this.#confirming,
      now: this.#now(),
    });
  }

  /** Publishes the report (on every connect, and after every change). Never rejects. */
  async reportNow(): Promise<void> {
    try {
      await this.#options.publishReported(encodeReportedConfig(this.reported()));
    } catch (error) {
      this.#log.warn(
        { event: "config-report-not-sent", err: error },
        "could not publish the reported configuration",
      );
    }
  }

  /**
   * Watches a configuration that is being confirmed: `healthy` settles when the agent
   * is healthy (sensors open, broker connected). Confirms it, or rolls it back at the
   * deadline (or when `healthy` rejects) and restarts.
   */
  awaitHealthy(healthy: Promise<void>): void {
    const generation = this.#confirming;
    if (generation === undefined) return;
    const { healthDeadlineMs } = this.#options;
    this.#deadline = setTimeout(() => {
      this.#rollBack(generation, `not healthy within ${healthDeadlineMs} ms`);
    }, healthDeadlineMs);
    this.#deadline.unref();
    healthy.then(
      () => {
        this.#confirm(generation);
      },
      (error: unknown) => {
        this.#rollBack(
          generation,
          `unhealthy: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
  }

  /** Takes one message from config/desired. Never rejects. */
  async handleDesired(payload: Uint8Array): Promise<void> {
    if (this.#working || this.#confirming !== undefined || this.#restarting) {
      this.#next = Buffer.from(payload);
      return;
    }
    this.#working = true;
    try {
      await this.#process(payload);
    } catch (error) {
      this.#log.error(
        { event: "config-desired-error", err: error },
        "desired configuration not handled",
      );
    } finally {
      this.#working = false;
    }
    await this.#takeNext();
  }

  /** Stops the health deadline (the agent is stopping). */
  stop(): void {
    clearTimeout(this.#deadline);
  }

  async #process(payload: Uint8Array): Promise<void> {
    const { paths, deviceId, keys, running } = this.#options;
    const now = this.#now();
    let desired: DesiredConfig | undefined;
    try {
      desired = verifyDesiredConfig(payload, { deviceId, keys });
      const handled = readState(paths).handled;
      if (handled !== null && desired.generation <= handled.generation) {
        if (desired.generation === handled.generation && desired.sha256 !== handled.sha256) {
          this.#log.warn(
            { event: "config-generation-reused", generation: desired.generation },
            "desired configuration reuses a handled generation with other content; ignored",
          );
        }
        return;
      }
      validateDesiredConfig(desired, running);
      try {
        applyDesiredConfig(paths, desired, now);
      } catch (error) {
        throw new DesiredConfigRefused(
          "write-failed",
          `could not write the configuration: ${error instanceof Error ? error.message : String(error)}`,
          desired.generation,
        );
      }
    } catch (error) {
      if (!(error instanceof DesiredConfigRefused)) throw error;
      this.#log.warn(
        {
          event: "config-desired-refused",
          reason: error.code,
          detail: error.detail,
          ...(error.generation !== undefined && { generation: error.generation }),
        },
        "desired configuration refused",
      );
      // Only what verifiably came from the centre may move the generation or the report.
      if (error.generation !== undefined) {
        recordRefusal(
          paths,
          {
            generation: error.generation,
            sha256: desired?.sha256,
            reason: `${error.code}: ${error.detail}`,
          },
          now,
        );
        await this.reportNow();
      }
      return;
    }
    this.#restarting = true;
    this.#log.info(
      { event: "config-applied", generation: desired.generation, keyId: desired.keyId },
      "desired configuration written; restarting into it",
    );
    this.#options.requestRestart(`configuration generation ${desired.generation}`);
  }

  #confirm(generation: number): void {
    if (this.#confirming !== generation) return;
    clearTimeout(this.#deadline);
    confirmPendingConfig(this.#options.paths, this.#now());
    this.#confirming = undefined;
    this.#log.info(
      { event: "config-confirmed", generation },
      "pushed configuration confirmed healthy",
    );
    void this.reportNow().then(() => this.#takeNext());
  }

  #rollBack(generation: number, reason: string): void {
    if (this.#confirming !== generation) return;
    clearTimeout(this.#deadline);
    this.#confirming = undefined;
    this.#restarting = true;
    try {
      rollBackPendingConfig(this.#options.paths, reason, this.#now());
    } catch (error) {
      this.#log.error(
        { event: "config-rollback-failed", generation, err: error },
        "could not roll back the configuration",
      );
      return;
    }
    this.#log.error(
      { event: "config-rolled-back", generation, reason },
      "pushed configuration rolled back",
    );
    this.#options.requestRestart(`configuration generation ${generation} rolled back: ${reason}`);
  }

  async #takeNext(): Promise<void> {
    const next = this.#next;
    if (next === undefined || this.#confirming !== undefined || this.#restarting) return;
    this.#next = undefined;
    await this.handleDesired(next);
  }
}

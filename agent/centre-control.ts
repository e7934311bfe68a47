import { resolve } from "node:path";
import { CentreCommands } from "./commands/centre-commands.js";
import { CentreKeys } from "./commands/centre-keys.js";
import type { RecentLog } from "./commands/recent-log.js";
import { ReplayStore } from "./commands/replay-store.js";
import type { AgentConfig } from "./config/schema.js";
import type { TerminalGate } from "./gate/terminal-gate.js";
import type { Logger } from "./log/logger.js";
import type { Outbox } from "./queue/outbox.js";
import type { StartupConfigState } from "./remote-config/config-recovery.js";
import { RemoteConfig } from "./remote-config/remote-config.js";
import type { ConfigPaths } from "./remote-config/remote-config-state.js";
import type { CentreSync } from "./sync/centre-sync.js";

/** Where this start's configuration came from, for configuration pushed by the centre. */
export interface ConfigOrigin {
  /** The file the agent loaded; the centre can push configuration only where there is one. */
  readonly paths: ConfigPaths | undefined;
  /** What recoverConfigAtStartup() found for this start. */
  readonly startup: StartupConfigState;
}

export interface CentreControlOptions {
  readonly config: AgentConfig;
  readonly origin: ConfigOrigin;
  readonly sync: CentreSync;
  readonly gate: TerminalGate;
  readonly outbox: Outbox;
  readonly agentVersion: string;
  readonly logger: Logger;
  /** Settles when this start is healthy: the broker connected and a sensor opened. */
  readonly healthy: Promise<void>;
  /** Schedules a restart into the configuration file as it is then; must not wait for it. */
  readonly requestRestart: (reason: string) => void;
  readonly recentLog?: RecentLog | undefined;
}

export interface CentreControl {
  stop(): Promise<void>;
}

/**
 * What the centre may do to a terminal: signed commands (open the gate, restart,
 * resync, diagnostics) and pushed configuration. Both trust only the centre keys in the
 * configuration; with none, every command is refused as signed by an unknown key.
 * Throws CentreKeyError when a configured key file cannot be used.
 */
export function startCentreControl(options: CentreControlOptions): CentreControl {
  const { config, origin, sync, gate, outbox, logger } = options;
  const keys = CentreKeys.fromFiles(
    Object.fromEntries(
      Object.entries(config.commands.centreKeys).map(([keyId, file]) => [keyId, resolve(file)]),
    ),
  );
  const replayStore = ReplayStore.open(resolve(config.commands.replayStore), {
    onDamaged: (movedTo, problem) => {
      logger.error(
        { event: "replay-store-damaged", movedTo, problem },
        "command replay store damaged; started afresh (commands issued before now are refused)",
      );
    },
  });
  const commands = new CentreCommands({
    deviceId: config.device.id,
    keys,
    replayStore,
    recentLog: options.recentLog,
    limits: {
      maxLifetimeMs: config.commands.maxLifetimeMs,
      clockSkewMs: config.commands.clockSkewMs,
    },
    // A clock stepped back must not make an expired command valid again.
    now: () => new Date(sync.wallClock.nowMs()),
    logger: logger.child({ component: "commands" }),
    publishResult: (payload) => sync.publish(sync.topics.commandResults, payload, { qos: 1 }),
    handlers: {
      openGate: (decision) => gate.relay.open(decision),
      restart: (reason) => {
        options.requestRestart(reason);
      },
      resync: () => {
        const offeredAgain = sync.resync();
        sync.healthChanged();
        void remote?.reportNow();
        return Promise.resolve({ offeredAgain });
      },
      rotateKeys: (which) => {
        // The device's signing and TLS keys change only with the centre's part in it
        // (a new certificate, the chain's signer): basma-provision rotate-cert, not a command.
        const unsupported = which.filter((key) => key !== "queue-data-key");
        if (unsupported.length > 0)
          return Promise.reject(
            new Error(`rotating ${unsupported.join(", ")} needs basma-provision on the terminal`),
          );
        return Promise.resolve({ queueDataKey: outbox.rotateDataKey() });
      },
      diagnostics: () => ({
        agentVersion: options.agentVersion,
        config,
        queue: { stats: outbox.stats(), health: outbox.health() },
        extra: {
          sync: { ...sync.health(), connected: sync.connected, counters: sync.counters.snapshot() },
          gate: { state: gate.relay.state, holds: gate.relay.holds },
        },
      }),
    },
  });
  sync.route(sync.topics.commands, (payload) => {
    void commands.handle(payload);
  });

  const remote =
    origin.paths === undefined
      ? undefined
      : new RemoteConfig({
          paths: origin.paths,
          deviceId: config.device.id,
          keys,
          running: config,
          startup: origin.startup,
          healthDeadlineMs: config.remoteConfig.healthDeadlineMs,
          publishReported: (payload) =>
            sync.publish(sync.topics.configReported, payload, { qos: 1, retain: true }),
          requestRestart: options.requestRestart,
          logger: logger.child({ component: "remote-config" }),
        });
  if (remote !== undefined) {
    if (config.remoteConfig.enabled)
      sync.route(sync.topics.configDesired, (payload) => {
        void remote.handleDesired(payload);
      });
    sync.onUp(() => {
      void remote.reportNow();
    });
    remote.awaitHealthy(options.healthy);
  }

  return {
    async stop() {
      remote?.stop();
      await commands.drain();
      replayStore.close();
    },
  };
}

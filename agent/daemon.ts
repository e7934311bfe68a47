import { resolve } from "node:path";
import { pino } from "pino";
import { startAgent, type RunningAgent } from "./agent.js";
import { EXIT } from "./cli-support/cli.js";
import { CentreKeyError } from "./commands/centre-keys.js";
import { RecentLog } from "./commands/recent-log.js";
import { ConfigError, loadAgentConfig } from "./config/load.js";
import type { AgentConfig } from "./config/schema.js";
import { createLogger, type Logger } from "./log/logger.js";
import {
  recoverConfigAtStartup,
  rollBackPendingConfig,
  type StartupConfigState,
} from "./remote-config/config-recovery.js";
import type { ConfigPaths } from "./remote-config/remote-config-state.js";
import { ServiceNotifier } from "./service/service-notifier.js";
import { serviceStatusLine } from "./service/status-line.js";

const STATUS_INTERVAL_MS = 30_000;

/** One start's configuration, or why there is none to run. */
type Loaded =
  | { readonly config: AgentConfig; readonly startup: StartupConfigState }
  | { readonly error: string };

/**
 * Loads the configuration for a start. A configuration the centre pushed is on
 * probation until healthy: if it cannot even be loaded, the previous one is put back
 * and loaded instead, rather than exiting 78 (systemd does not restart on 78, which
 * would leave the terminal dead on a bad push).
 */
async function loadForStart(
  paths: ConfigPaths | undefined,
  file: string | undefined,
): Promise<Loaded> {
  const startup: StartupConfigState =
    paths === undefined ? { state: "settled" } : recoverConfigAtStartup(paths);
  try {
    return { config: await loadAgentConfig(file), startup };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (paths === undefined || startup.state !== "confirming") return { error: error.message };
    rollBackPendingConfig(paths, `the pushed configuration cannot be loaded: ${error.message}`);
    return loadForStart(paths, file);
  }
}

/**
 * The agent as a long-running service: starts it, restarts it in process when the
 * centre pushed a configuration or asked for a restart, speaks the systemd notify
 * protocol (READY, STATUS, watchdog pings, STOPPING), and stops it on SIGTERM/SIGINT.
 */
export async function runDaemon(file: string | undefined): Promise<number> {
  const paths: ConfigPaths | undefined =
    file === undefined ? undefined : { configPath: resolve(file) };
  const recentLog = new RecentLog();
  let notifier: ServiceNotifier | undefined;
  let agent: RunningAgent | undefined;
  // Set from signal handlers and command handlers, read by the loop below.
  const requests: { signalled: boolean; restartReason: string | undefined } = {
    signalled: false,
    restartReason: undefined,
  };
  let logger: Logger | undefined;

  const shutdown = (reason: string): void => {
    if (requests.signalled) {
      logger?.warn({ reason }, "second stop request; exiting now");
      process.exit(EXIT.interrupted);
    }
    requests.signalled = true;
    logger?.info({ reason }, "stopping");
    notifier?.stopping(`stopping (${reason}): finishing the current write`);
    agent?.stop().catch((error: unknown) => {
      logger?.error({ err: error }, "stopping failed");
    });
  };
  process.on("SIGTERM", () => {
    shutdown("SIGTERM");
  });
  process.on("SIGINT", () => {
    shutdown("SIGINT");
  });
  // Started by the simulator's stack: never outlive it.
  process.on("disconnect", () => {
    shutdown("parent process gone");
  });
  // The parent may have died before that listener existed; its event is lost then.
  if (process.send !== undefined && !process.connected) shutdown("parent process gone");

  for (let start = 1; !requests.signalled; start++) {
    const loaded = await loadForStart(paths, file);
    if ("error" in loaded) {
      process.stderr.write(`basma-agent: ${loaded.error}\n`);
      return EXIT.config;
    }
    const { config, startup } = loaded;
    // The recent lines feed the diagnostics command; stdout feeds journald.
    logger = createLogger({
      name: "basma-agent",
      level: config.logging.level,
      destination: pino.multistream([
        { level: "trace", stream: process.stdout },
        { level: "trace", stream: recentLog },
      ]),
    });
    notifier ??= ServiceNotifier.fromEnvironment(logger.child({ component: "service" }));
    let running: RunningAgent;
    try {
      running = startAgent(config, logger, {
        origin: { paths, startup },
        recentLog,
        requestRestart: (reason) => {
          requests.restartReason = reason;
          // Only scheduled: the caller is a command handler that stopping waits for.
          setImmediate(() => {
            void running.stop();
          });
        },
      });
    } catch (error) {
      if (!(error instanceof CentreKeyError)) throw error;
      if (paths !== undefined && startup.state === "confirming") {
        rollBackPendingConfig(paths, `the pushed configuration's centre keys: ${error.message}`);
        continue;
      }
      process.stderr.write(`basma-agent: ${error.message}\n`);
      return EXIT.config;
    }
    agent = running;
    if (start > 1) logger.info({ reason: requests.restartReason }, "restarted in process");
    requests.restartReason = undefined;
    const statusLine = (): string => serviceStatusLine(running.health());
    // Queue open and every sensor under supervision: an unplugged sensor is retried in
    // the background and must not hold start-up until systemd gives up on it.
    notifier.ready(statusLine());
    const statusTimer = setInterval(() => {
      try {
        notifier?.status(statusLine());
      } catch (error) {
        // A queue that cannot be read right now is reported by the queue's own alarm.
        logger?.debug({ err: error }, "no service status this time");
      }
    }, STATUS_INTERVAL_MS);
    statusTimer.unref();

    await running.finished.catch(() => undefined);
    clearInterval(statusTimer);
    // Read afresh: a signal or a command may have set these while the loop ran.
    const { signalled, restartReason } = { ...requests };
    if (!signalled && restartReason === undefined)
      notifier.stopping("stopping: the capture loop ended");
    else if (!signalled) notifier.reloading();
    await running.stop();
    if (restartReason === undefined) break;
  }
  notifier?.close();
  return EXIT.ok;
}

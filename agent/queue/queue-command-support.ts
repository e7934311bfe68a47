import { existsSync } from "node:fs";
import { basename, resolve } from "node:path";
import { EXIT } from "../cli-support/cli.js";
import { CommandFailure, type CommandIo } from "../cli-support/command-io.js";
import { ConfigError, loadAgentConfig } from "../config/load.js";
import type { AgentConfig } from "../config/schema.js";
import { DeviceKeyError } from "./device-keys.js";
import { defaultKeyFile, Outbox } from "./outbox.js";

/** What every queue command shares: options, output, failures, opening the queue. */
export const COMMON = {
  config: { type: "string", short: "c" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export const kib = (bytes: number): string =>
  bytes >= 1024 ** 2 ? `${(bytes / 1024 ** 2).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

export async function loadConfig(path: string | undefined): Promise<AgentConfig> {
  try {
    return await loadAgentConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) throw new CommandFailure(error.message, EXIT.config);
    throw error;
  }
}

export function keyFileOf(config: AgentConfig, queuePath: string): string {
  return config.queue.keyFile === undefined
    ? defaultKeyFile(queuePath)
    : resolve(config.queue.keyFile);
}

/** The agent's queue, opened without the start-up check and without creating a key. */
export function openQueue(config: AgentConfig, { mustExist }: { mustExist: boolean }): Outbox {
  const path = resolve(config.queue.path);
  if (mustExist && !existsSync(path))
    throw new CommandFailure(`no queue file at ${path} (queue.path); has the agent run here?`);
  try {
    return Outbox.open(path, {
      keyFile: keyFileOf(config, path),
      createKeyFile: false,
      startupCheck: false,
      mustExist,
      limits: {
        maxRecords: config.queue.maxRecords,
        maxBytes: config.queue.maxBytes,
        reserveFreeBytes: config.queue.reserveFreeBytes,
        warnAtFraction: config.queue.warnAtFraction,
      },
    });
  } catch (error) {
    if (error instanceof DeviceKeyError) throw new CommandFailure(error.message);
    const code = (error as { code?: string }).code;
    if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB")
      throw new CommandFailure(
        `queue file ${path} is damaged (${(error as Error).message}); the agent's next start moves it aside as ${basename(path)}.damaged-<time>, then run 'basma-agent queue recover --from <that file>'`,
      );
    throw error;
  }
}

/** Prints a command's help; exit 0. */
export function showHelp(text: string, output: CommandIo): number {
  output.out(text);
  return EXIT.ok;
}

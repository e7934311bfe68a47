import { readFile } from "node:fs/promises";
import { EXIT } from "../agent/cli-support/cli.js";
import { ConfigError, parseAgentConfig } from "../agent/config/load.js";
import type { AgentConfig, AgentConfigInput } from "../agent/config/schema.js";
import { writeFileAtomic } from "./atomic-file.js";
import { CommandFailure } from "../agent/cli-support/command-io.js";
import type { FileOwner } from "./file-owner.js";

/** The configuration as written (without filled-in defaults) and as the agent runs it. */
export interface ConfigFile {
  readonly path: string;
  readonly input: AgentConfigInput;
  readonly config: AgentConfig;
}

function asFailure(error: unknown): never {
  if (error instanceof ConfigError) throw new CommandFailure(error.message, EXIT.config);
  throw error;
}

/** Reads and validates the agent configuration; a missing or invalid file exits 78. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(
      code === "ENOENT"
        ? `no configuration at ${path}; run 'basma-provision init' first`
        : `cannot read ${path} (${code ?? "unknown error"})`,
      EXIT.config,
    );
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new CommandFailure(`${path}: not valid JSON: ${(error as Error).message}`, EXIT.config);
  }
  try {
    return { path, input: input as AgentConfigInput, config: parseAgentConfig(input, path) };
  } catch (error) {
    return asFailure(error);
  }
}

/**
 * Validates with the agent's own schema, then replaces the file atomically: readable by
 * the service user, by no one else (it names the key files and the broker).
 */
export async function writeConfigFile(
  path: string,
  input: AgentConfigInput,
  owner: FileOwner | undefined,
): Promise<AgentConfig> {
  let config: AgentConfig;
  try {
    config = parseAgentConfig(input, path);
  } catch (error) {
    return asFailure(error);
  }
  await writeFileAtomic(path, `${JSON.stringify(input, null, 2)}\n`, { mode: 0o640, owner });
  return config;
}

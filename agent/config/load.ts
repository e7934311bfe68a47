import { InvalidFileError, parseWith, readJsonFile } from "../cli-support/json-file.js";
import { agentConfigSchema, type AgentConfig } from "./schema.js";

/** A configuration that cannot be used; `problems` name each key path and what was expected. */
export class ConfigError extends InvalidFileError {
  override readonly name = "ConfigError";
  constructor(source: string, problems: readonly string[]) {
    super(source, "configuration", problems);
  }
}

/** Turns the generic file error into a ConfigError, so callers catch one type. */
function asConfigError(error: unknown): never {
  if (error instanceof InvalidFileError) throw new ConfigError(error.source, error.problems);
  throw error;
}

/** Validates parsed JSON against the schema and fills in defaults. */
export function parseAgentConfig(input: unknown, source = "configuration"): AgentConfig {
  try {
    return parseWith(agentConfigSchema, input, source, "configuration");
  } catch (error) {
    return asConfigError(error);
  }
}

/** Reads and validates a JSON configuration file; without a path, the defaults. */
export async function loadAgentConfig(path?: string): Promise<AgentConfig> {
  if (path === undefined) return parseAgentConfig({}, "defaults");
  const json = await readJsonFile(path, "configuration").catch(asConfigError);
  return parseAgentConfig(json, path);
}

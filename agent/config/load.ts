import { readFile } from "node:fs/promises";
import type { z } from "zod";
import { agentConfigSchema, type AgentConfig } from "./schema.js";

/** A configuration that cannot be used; `problems` name each key path and what was expected. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid configuration\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

/** "sensors[0].baud" from zod's ["sensors", 0, "baud"]. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(top level)" : out;
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => `${formatPath([...issue.path, key])}: unknown key`);
  }
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // A discriminated union that failed on its discriminator says so itself; for the
    // rest, the branch with the fewest problems is the one the author meant.
    const branches = issue.errors.filter((branch) => branch.length > 0);
    const closest = branches.sort((a, b) => a.length - b.length)[0];
    if (closest !== undefined)
      return closest.flatMap((inner) =>
        describeIssue({ ...inner, path: [...issue.path, ...inner.path] }),
      );
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** Validates parsed JSON against the schema and fills in defaults. */
export function parseAgentConfig(input: unknown, source = "configuration"): AgentConfig {
  const result = agentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ConfigError(source, [...new Set(result.error.issues.flatMap(describeIssue))]);
}

/** Reads and validates a JSON configuration file; without a path, the defaults. */
export async function loadAgentConfig(path?: string): Promise<AgentConfig> {
  if (path === undefined) return parseAgentConfig({}, "defaults");
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new ConfigError(path, [`cannot read the file (${code})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(path, [`not valid JSON: ${(error as Error).message}`]);
  }
  return parseAgentConfig(json, path);
}

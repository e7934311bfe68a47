import { readFile } from "node:fs/promises";
import type { z } from "zod";

/**
 * A JSON file a person wrote (agent configuration, fault scenario) that cannot be
 * used; `problems` name each key path and what was expected, all at once.
 */
export class InvalidFileError extends Error {
  override readonly name: string = "InvalidFileError";
  constructor(
    readonly source: string,
    readonly what: string,
    readonly problems: readonly string[],
  ) {
    super(`${source}: invalid ${what}\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

const ZOD_DEFAULT_UNION_MESSAGE = "Invalid input";

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
  // A union whose schema says what it wants in its own words keeps them; otherwise the
  // branch with the fewest problems is the one the author meant.
  if (
    issue.code === "invalid_union" &&
    issue.errors.length > 0 &&
    issue.message === ZOD_DEFAULT_UNION_MESSAGE
  ) {
    const closest = issue.errors
      .filter((branch) => branch.length > 0)
      .sort((a, b) => a.length - b.length)[0];
    if (closest !== undefined) {
      return closest.flatMap((inner) =>
        describeIssue({ ...inner, path: [...issue.path, ...inner.path] }),
      );
    }
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/** Every problem zod found, one readable line each, without repeats. */
export function describeZodIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return [...new Set(issues.flatMap(describeIssue))];
}

/** Parses `input` with `schema`, or throws InvalidFileError listing every problem. */
export function parseWith<T extends z.ZodType>(
  schema: T,
  input: unknown,
  source: string,
  what: string,
): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new InvalidFileError(source, what, describeZodIssues(result.error.issues));
}

/** The parsed JSON of a file, or InvalidFileError saying why it could not be read. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unknown error";
    throw new InvalidFileError(path, what, [`cannot read the file (${code})`]);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidFileError(path, what, [`not valid JSON: ${(error as Error).message}`]);
  }
}

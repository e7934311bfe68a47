import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const AGENT_DIR = fileURLToPath(new URL("../../../agent", import.meta.url));
const CATALOGUE_DIR = join(AGENT_DIR, "guidance");
const ARABIC = /\p{Script=Arabic}/u;

/**
 * The text of every string and template literal in `source` that contains Arabic script.
 * Parsing rather than matching lines, so Arabic in comments (the project's own name, a
 * note on wording) is allowed and only text that could reach a traveller is caught.
 */
function arabicLiterals(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteralLike(node) || ts.isTemplateLiteralToken(node)) {
      if (ARABIC.test(node.text)) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function typeScriptFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(dir, name));
}

describe("traveller-facing text", () => {
  it("lives only in the prompt catalogue: no Arabic string literals elsewhere in agent/", () => {
    const strays = typeScriptFilesUnder(AGENT_DIR)
      .filter((path) => !path.startsWith(CATALOGUE_DIR + sep))
      .flatMap((path) =>
        arabicLiterals(path, readFileSync(path, "utf8")).map(
          (text) => `${relative(AGENT_DIR, path)}: "${text}"`,
        ),
      );
    expect(strays).toEqual([]);
  });

  it("is found by the scan in every kind of literal, and not in comments", () => {
    const source = [
      "// بصمة in a comment is fine",
      "/** ضع إصبعك in a doc comment too */",
      'const a = "امسح إصبعك";',
      "const b = 'اضغط';",
      "const c = `ضع ${finger} الآن`;",
      "const d = `شكرًا`;",
    ].join("\n");
    expect(arabicLiterals("sample.ts", source)).toEqual([
      "امسح إصبعك",
      "اضغط",
      "ضع ",
      " الآن",
      "شكرًا",
    ]);
  });

  it("is found by the scan in the catalogue itself, so the scan can see real files", () => {
    const catalogue = join(CATALOGUE_DIR, "prompt-catalogue.ts");
    expect(arabicLiterals(catalogue, readFileSync(catalogue, "utf8"))).toContain("امسح إصبعك");
  });
});

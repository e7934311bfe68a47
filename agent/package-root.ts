import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface PackageJson {
  readonly name?: string;
  readonly version?: string;
}

/** The folder holding Basma's package.json, found from this file whether it runs from source or from dist/. */
export function packageRoot(): { readonly dir: string; readonly manifest: PackageJson } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;
      if (manifest.name === "basma") return { dir, manifest };
    } catch {
      // not here; look one folder up
    }
    dir = dirname(dir);
  }
  throw new Error("cannot find Basma's package.json above the running code");
}

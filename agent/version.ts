import { packageRoot } from "./package-root.js";

/** The package version, as package.json states it. */
export function agentVersion(): string {
  return packageRoot().manifest.version ?? "unknown";
}

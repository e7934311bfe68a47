export const CHECK_NAMES = ["sensors", "outputs", "broker", "clock", "disk", "queue"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  readonly check: CheckName;
  /** What was checked: "sensor sensor-1", "ledGreen". */
  readonly subject: string;
  readonly status: "pass" | "fail" | "skip";
  readonly detail: string;
}

export function formatReport(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((result) => result.subject.length), 8);
  const lines = results.map(
    (result) =>
      `${result.status.toUpperCase().padEnd(4)}  ${result.subject.padEnd(width)}  ${result.detail}`,
  );
  const failed = results.filter((result) => result.status === "fail").length;
  const passed = results.filter((result) => result.status === "pass").length;
  lines.push(
    failed === 0
      ? `all ${passed} checks passed${results.length > passed ? ` (${results.length - passed} skipped)` : ""}`
      : `${failed} of ${results.length} checks FAILED`,
  );
  return `${lines.join("\n")}\n`;
}

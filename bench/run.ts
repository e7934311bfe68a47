import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { Benchmark, Figure } from "./benchmark.js";
import { benchmarks } from "./benches/index.js";

/** Runs the registered benchmarks, prints a table and writes bench/results/<time>.json and latest.json. */
async function main(): Promise<void> {
  const filter = process.argv[2];
  if (filter === "--help" || filter === "-h") {
    process.stdout.write(
      `Usage: npm run bench [-- NAME]\n\nBenchmarks:\n${benchmarks.map((b) => `  ${b.name.padEnd(28)} ${b.description}`).join("\n")}\n`,
    );
    return;
  }
  const selected: Benchmark[] = benchmarks.filter(
    (b) => filter === undefined || b.name.includes(filter),
  );
  if (selected.length === 0) {
    process.stderr.write(`no benchmark matches "${filter ?? ""}"; see npm run bench -- --help\n`);
    process.exitCode = 2;
    return;
  }
  const results: { name: string; figures: readonly Figure[] }[] = [];
  for (const benchmark of selected) {
    process.stderr.write(`running ${benchmark.name}...\n`);
    results.push({ name: benchmark.name, figures: await benchmark.run() });
  }
  const rows = results.flatMap((r) =>
    r.figures.map((f) => [r.name, f.metric, formatValue(f.value), f.unit]),
  );
  const header = ["benchmark", "metric", "value", "unit"];
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ");
  process.stdout.write(
    `${[line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")}\n`,
  );

  const report = {
    at: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    memoryBytes: totalmem(),
    results,
  };
  const dir = join(process.cwd(), "bench", "results");
  await mkdir(dir, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const file = join(dir, `${report.at.replaceAll(":", "-")}.json`);
  await writeFile(file, json);
  await writeFile(join(dir, "latest.json"), json);
  process.stderr.write(`wrote ${file}\n`);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

await main();

/** One figure a benchmark reports, e.g. { metric: "decode", value: 1.2, unit: "ms/image" }. */
export interface Figure {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

export interface Benchmark {
  /** Short, unique; `npm run bench -- NAME` runs only the benchmarks whose name contains NAME. */
  readonly name: string;
  readonly description: string;
  run(): Promise<readonly Figure[]>;
}

export interface TimingSummary {
  readonly iterations: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly opsPerSecond: number;
}

/** The middle value (the upper middle of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function percentile(sorted: readonly number[], fraction: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

/** Times `iterations` calls of `operation` after `warmup` untimed ones. */
export async function timeOperation(
  operation: () => unknown,
  { iterations, warmup = Math.ceil(iterations / 10) }: { iterations: number; warmup?: number },
): Promise<TimingSummary> {
  for (let i = 0; i < warmup; i++) await operation();
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await operation();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  samples.sort((a, b) => a - b);
  return {
    iterations,
    meanMs: totalMs / iterations,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
    opsPerSecond: (iterations * 1000) / totalMs,
  };
}

import type { Benchmark } from "../benchmark.js";
import { captureSessionBenchmarks } from "./capture-session.js";
import { iso29794Benchmarks } from "./iso29794.js";
import { pipelineBenchmarks } from "./pipeline.js";
import { qualityBenchmarks } from "./quality.js";
import { queueBenchmarks } from "./queue.js";
import { r30xBenchmarks } from "./r30x.js";
import { r30xLineBenchmarks } from "./r30x-line.js";
import { syntheticPrintBenchmarks } from "./synthetic-prints.js";
import { uru4000Benchmarks } from "./uru4000.js";
import { syncBenchmarks } from "./sync.js";

/** Every benchmark `npm run bench` knows; each layer adds its own file here. */
export const benchmarks: readonly Benchmark[] = [
  ...r30xBenchmarks,
  ...r30xLineBenchmarks,
  ...uru4000Benchmarks,
  ...syntheticPrintBenchmarks,
  ...qualityBenchmarks,
  ...iso29794Benchmarks,
  ...pipelineBenchmarks,
  ...queueBenchmarks,
  ...syncBenchmarks,
  ...captureSessionBenchmarks,
];

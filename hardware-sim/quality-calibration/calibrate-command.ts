import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { packageRoot } from "../../agent/package-root.js";
import {
  EXIT,
  parseCommandLine,
  parseIntegerOption,
  UsageError,
} from "../../agent/cli-support/cli.js";
import { calibrateModel, renderModelModule } from "./calibrate.js";
import { CALIBRATION_SENSORS, generateLabelledSet } from "./labelled-set.js";

const HELP = `Usage: basma-sim calibrate-quality [options]

Renders a labelled synthetic set (every condition at severities 0.1 to 1, plus clean
prints), fits the quality model on it and writes the model as a TypeScript module.
The held-out checks are the quality tests (npm test); see docs/quality-model.md.

  --persons N     simulated people, one finger each (default 64); 61 images each
  --seed S        first person's seed (default 1); tests use seeds from 10000
  --out FILE      default agent/quality/calibrated-model.ts in the package
  -h, --help      show this help
`;

/** Alternate people take alternate levels: every tenth from 0.1 to 1 at half the renders. */
export const CALIBRATION_SEVERITIES = [
  [0.1, 0.3, 0.5, 0.7, 0.9],
  [0.2, 0.4, 0.6, 0.8, 1],
] as const;

export async function calibrateQualityCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    persons: { type: "string" },
    seed: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const persons = parseIntegerOption("persons", values.persons, { min: 2, max: 1000 }) ?? 64;
  const firstSeed = parseIntegerOption("seed", values.seed, { min: 0, max: 9_999 }) ?? 1;
  if (firstSeed + persons > 10_000) {
    throw new UsageError(
      "--seed plus --persons must stay below 10000: the tests' people start there",
    );
  }
  if (values.out === "") throw new UsageError("--out needs a file name");
  const out = values.out ?? resolve(packageRoot().dir, "agent", "quality", "calibrated-model.ts");

  const started = Date.now();
  const samples = generateLabelledSet(
    {
      persons,
      firstSeed,
      severityLevels: CALIBRATION_SEVERITIES,
      cleanImpressions: 6,
      sensors: CALIBRATION_SENSORS,
      varyPlacement: true,
    },
    (done, total) => {
      process.stderr.write(`\rrendering and measuring: ${done}/${total} images`);
    },
  );
  process.stderr.write("\nfitting the model\n");
  const model = calibrateModel(samples);
  const provenance =
    `${samples.length} synthetic prints: seeds ${firstSeed}-${firstSeed + persons - 1}, ` +
    `sensors ${[...new Set(CALIBRATION_SENSORS)].join(", ")}, severities 0.1-1`;
  await writeFile(out, renderModelModule(model, provenance));
  process.stdout.write(
    `model ${model.version} written to ${out} (${samples.length} prints, ` +
      `${Math.round((Date.now() - started) / 1000)} s)\n`,
  );
  return EXIT.ok;
}

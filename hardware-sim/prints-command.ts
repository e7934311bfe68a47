import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  EXIT,
  parseCommandLine,
  parseIntegerOption,
  UsageError,
} from "../agent/cli-support/cli.js";
import { CONDITION_KINDS, isConditionKind, type PrintCondition } from "./prints/conditions.js";
import { writePng } from "./prints/png.js";
import { renderPrint } from "./prints/render-print.js";
import {
  isSensorName,
  SENSOR_NAMES,
  SENSOR_PROFILES,
  type SensorName,
} from "./prints/sensor-profiles.js";

const PRINTS_HELP = `Usage: basma-sim prints --out DIR [options]

Writes realistic synthetic fingerprints (500 ppi PNG) and a manifest.json describing
each one, for trying quality checks and capture guidance without travellers.

  --out DIR           where the images and manifest.json go (created if missing; required)
  --count N           how many images (default 10)
  --sensor S          ${SENSOR_NAMES.join(", ")} (default r307)
  --conditions LIST   kind:severity pairs, e.g. wet:0.7,dry:0.3; severity 0 to 1
                      kinds: ${CONDITION_KINDS.join(", ")}
  --seed S            first person's seed (default 1); image i shows person S+i
  --impression K      which placement of each finger (default 0)
  -h, --help          show this help
`;

/** Single fingers cycle through both hands; slaps through right, left and thumbs. */
const SINGLE_POSITIONS = [2, 7, 1, 6, 3, 8, 4, 9, 5, 10] as const;
const SLAP_POSITIONS = [13, 14, 15] as const;

export function parseConditions(value: string | undefined): PrintCondition[] {
  if (value === undefined || value === "") return [];
  return value.split(",").map((pair) => {
    const [kind = "", severityText, extra] = pair.split(":");
    const severity = Number(severityText);
    if (!isConditionKind(kind)) {
      throw new UsageError(
        `--conditions: unknown kind "${kind}"; expected one of ${CONDITION_KINDS.join(", ")}`,
      );
    }
    if (
      extra !== undefined ||
      severityText === undefined ||
      severityText === "" ||
      !(severity >= 0 && severity <= 1)
    ) {
      throw new UsageError(
        `--conditions: "${pair}" should be kind:severity with a severity from 0 to 1`,
      );
    }
    return { kind, severity };
  });
}

function parseSensor(value: string | undefined): SensorName {
  const sensor = value ?? "r307";
  if (!isSensorName(sensor))
    throw new UsageError(`--sensor expects ${SENSOR_NAMES.join(", ")}, got "${sensor}"`);
  return sensor;
}

export async function printsCommand(args: string[]): Promise<number> {
  const { values } = parseCommandLine(args, {
    out: { type: "string" },
    count: { type: "string" },
    sensor: { type: "string" },
    conditions: { type: "string" },
    seed: { type: "string" },
    impression: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help === true) {
    process.stdout.write(PRINTS_HELP);
    return EXIT.ok;
  }
  const out = values.out;
  if (out === undefined || out === "")
    throw new UsageError("--out is required, e.g. --out /tmp/prints");
  const count = parseIntegerOption("count", values.count, { min: 1, max: 100_000 }) ?? 10;
  const sensor = parseSensor(values.sensor);
  const conditions = parseConditions(values.conditions);
  const firstSeed = parseIntegerOption("seed", values.seed, { min: 0, max: 2 ** 31 - 1 }) ?? 1;
  const impression =
    parseIntegerOption("impression", values.impression, { min: 0, max: 1_000_000 }) ?? 0;
  const profile = SENSOR_PROFILES[sensor];
  const positions: readonly number[] = profile.slap ? SLAP_POSITIONS : SINGLE_POSITIONS;

  await mkdir(out, { recursive: true });
  const images = [];
  const digits = String(count - 1).length;
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i;
    const position = positions[i % positions.length] ?? 2;
    const file = `print-${String(i).padStart(digits, "0")}-s${seed}-p${position}.png`;
    await writePng(
      renderPrint({ seed, position, impression, sensor, conditions }),
      join(out, file),
    );
    images.push({ file, seed, position, impression, sensor, conditions });
  }
  const manifest = {
    generator: "basma synthetic prints",
    sensor,
    width: profile.width,
    height: profile.height,
    resolutionPpi: 500,
    images,
  };
  await writeFile(join(out, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stdout.write(`${count} print${count === 1 ? "" : "s"} written to ${out}\n`);
  return EXIT.ok;
}

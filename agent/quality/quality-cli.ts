#!/usr/bin/env node
import { readFile } from "node:fs/promises";
import {
  EXIT,
  parseCommandLine,
  parseIntegerOption,
  runCli,
  UsageError,
} from "../cli-support/cli.js";
import { assessQuality, type QualityReport } from "./assess-quality.js";
import {
  decodeFingerImage,
  RESOLUTION_RANGE,
  SIDE_RANGE,
  type DecodeOptions,
} from "./image-file/decode-image.js";
import { ImageFileError } from "./image-file/image-file-error.js";
import { Iso29794InputError } from "./iso29794/index.js";
import { SLAP_MIN_SIDE } from "./slap-segmentation.js";

const PROGRAM = "basma-quality";

const HELP = `Usage: ${PROGRAM} FILE... [options]

Scores fingerprint images the way the terminal does: ISO/IEC 29794-4 measures, a
0-100 score, the condition that spoiled the print and what to tell the traveller.

  FILE                PNG, PGM (P5) or, with --raw, headerless 8-bit pixels
  --json              one JSON object per image, one per line:
                      { file, width, height, score, condition, confidence,
                        feedback[], measures{...} } or { file, error, problem };
                      a slap (a side of ${SLAP_MIN_SIDE} pixels or more) is judged finger by
                      finger and adds fingers[]: { box{x,y,width,height}, score,
                      condition, confidence, feedback[], measures{...} }
  --ppi N             the images' resolution (${RESOLUTION_RANGE.min}-${RESOLUTION_RANGE.max}); other than 500 is
                      resampled. Default: the file's own (PNG pHYs), else 500
  --raw WxH           read FILEs as raw 8-bit pixels of this size, e.g. 256x288
  -h, --help          show this help

Exit status: 0 every image scored, 1 some image could not be read or measured,
2 bad arguments.
`;

interface ScoredImage {
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly report: QualityReport;
}

function parseRawSize(value: string | undefined): DecodeOptions["raw"] {
  if (value === undefined) return undefined;
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(value);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  const inRange = (side: number): boolean => side >= SIDE_RANGE.min && side <= SIDE_RANGE.max;
  if (match === null || !inRange(width) || !inRange(height)) {
    throw new UsageError(
      `--raw expects WIDTHxHEIGHT, each ${SIDE_RANGE.min}-${SIDE_RANGE.max}, got "${value}"`,
    );
  }
  return { width, height };
}

async function scoreFile(file: string, options: DecodeOptions): Promise<ScoredImage> {
  const image = await decodeFingerImage(await readFile(file), options);
  return { file, width: image.width, height: image.height, report: assessQuality(image) };
}

function describeFailure(error: unknown): { message: string; problem: string } {
  if (error instanceof ImageFileError || error instanceof Iso29794InputError) {
    return { message: error.message, problem: error.problem };
  }
  const code = (error as NodeJS.ErrnoException).code;
  if (typeof code === "string") {
    return {
      message: (error as Error).message,
      problem: code === "ENOENT" ? "not-found" : "unreadable",
    };
  }
  throw error;
}

function humanLine({ file, width, height, report }: ScoredImage): string {
  const feedback = report.feedback.length === 0 ? "" : `  -> ${report.feedback.join(", ")}`;
  const fingers =
    report.fingers === undefined
      ? ""
      : `  fingers: ${report.fingers.map((finger) => `${finger.score} ${finger.condition}`).join(", ") || "none"}`;
  return (
    `${file}: ${String(report.score).padStart(3)}  ${report.condition} ` +
    `(${Math.round(report.confidence * 100)} %)  ${width}x${height}${feedback}${fingers}\n`
  );
}

async function main(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(
    args,
    {
      json: { type: "boolean", default: false },
      ppi: { type: "string" },
      raw: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError("no image files given");
  const resolutionPpi = parseIntegerOption("ppi", values.ppi, RESOLUTION_RANGE);
  const raw = parseRawSize(values.raw);
  const options: DecodeOptions = {
    ...(resolutionPpi === undefined ? {} : { resolutionPpi }),
    ...(raw === undefined ? {} : { raw }),
  };

  let failures = 0;
  // One at a time: a slap batch would otherwise hold every decoded image in memory.
  for (const file of positionals) {
    try {
      const scored = await scoreFile(file, options);
      if (values.json) {
        const { report } = scored;
        const line = {
          file,
          width: scored.width,
          height: scored.height,
          score: report.score,
          condition: report.condition,
          confidence: Number(report.confidence.toFixed(3)),
          feedback: report.feedback,
          measures: report.measures,
          version: report.version,
          ...(report.fingers !== undefined && {
            fingers: report.fingers.map((finger) => ({
              ...finger,
              confidence: Number(finger.confidence.toFixed(3)),
            })),
          }),
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      } else {
        process.stdout.write(humanLine(scored));
      }
    } catch (error) {
      failures++;
      const { message, problem } = describeFailure(error);
      if (values.json)
        process.stdout.write(`${JSON.stringify({ file, error: message, problem })}\n`);
      else process.stderr.write(`${PROGRAM}: ${file}: ${message}\n`);
    }
  }
  return failures === 0 ? EXIT.ok : EXIT.failure;
}

await runCli(PROGRAM, () => main(process.argv.slice(2)));

import {
  describeZodIssues,
  InvalidFileError,
  readJsonFile,
} from "../../agent/cli-support/json-file.js";
import { z } from "zod";
import { Instruction, type InstructionName } from "../../drivers/r30x/constants.js";

/**
 * A fault scenario: what goes wrong on the simulated line and when. Each fault fires
 * for the commands its trigger selects (all given conditions must hold):
 *
 *   atCommand     the Nth command the module receives (1-based), or a list of them
 *   instructions  only these instructions, by name ("GenImg") or code (1)
 *   probability   with this chance per selected command, from the scenario's seeded PRNG
 *   times         at most this many times in all
 *
 * Kinds, with what they take:
 *   unplug {durationMs}     the line (TCP client, pty link) disappears, the command with it
 *   no-reply                the command is lost: not executed, not answered
 *   delay {ms}              the reply comes late; later commands wait behind it
 *   wrong-address {address} the reply carries another module's address
 *   error-code {code}       the reply is this confirmation code instead (0x29, 0xFD, ...)
 *   drop | duplicate {bytes=1}  a run of reply bytes lost or received twice
 *   corrupt {bytes=1}       reply bytes flipped at random positions
 *   garbage {bytes=16}      random bytes on the line before the reply
 *
 * Example:
 *   { "seed": 7, "faults": [
 *     { "kind": "error-code", "code": "0x29", "instructions": ["GenImg"], "probability": 0.1 },
 *     { "kind": "unplug", "durationMs": 2000, "atCommand": 12 } ] }
 */

const INSTRUCTION_NAMES = Object.keys(Instruction) as [InstructionName, ...InstructionName[]];

const BYTE_HINT = 'expected 0-255 or a hex string such as "0x29"';
const byte = z.union(
  [z.int().min(0).max(0xff), z.string().regex(/^0x[0-9a-f]{1,2}$/i, BYTE_HINT)],
  { error: BYTE_HINT },
);
const ADDRESS_HINT = 'expected a 32-bit address, as a number or a hex string such as "0x0000002A"';
const uint32 = z.union(
  [z.int().min(0).max(0xff_ff_ff_ff), z.string().regex(/^0x[0-9a-f]{1,8}$/i, ADDRESS_HINT)],
  { error: ADDRESS_HINT },
);
const instruction = z.union([z.enum(INSTRUCTION_NAMES), z.int().min(0).max(0xff)], {
  error: `expected an instruction code 0-255 or one of ${INSTRUCTION_NAMES.join(", ")}`,
});

const trigger = {
  atCommand: z.union([z.int().min(1), z.array(z.int().min(1)).min(1)]).optional(),
  instructions: z.array(instruction).min(1).optional(),
  probability: z.number().gt(0).max(1).optional(),
  times: z.int().min(1).optional(),
};
const byteCount = (fallback: number) => z.int().min(1).max(65_536).default(fallback);

const FAULT_KINDS = [
  z.strictObject({
    kind: z.literal("unplug"),
    durationMs: z.int().min(0).max(3_600_000),
    ...trigger,
  }),
  z.strictObject({ kind: z.literal("no-reply"), ...trigger }),
  z.strictObject({ kind: z.literal("delay"), ms: z.int().min(1).max(600_000), ...trigger }),
  z.strictObject({ kind: z.literal("wrong-address"), address: uint32, ...trigger }),
  z.strictObject({ kind: z.literal("error-code"), code: byte, ...trigger }),
  z.strictObject({ kind: z.literal("drop"), bytes: byteCount(1), ...trigger }),
  z.strictObject({ kind: z.literal("corrupt"), bytes: byteCount(1), ...trigger }),
  z.strictObject({ kind: z.literal("duplicate"), bytes: byteCount(1), ...trigger }),
  z.strictObject({ kind: z.literal("garbage"), bytes: byteCount(16), ...trigger }),
] as const;

const faultSchema = z
  .discriminatedUnion("kind", FAULT_KINDS, {
    error: `expected kind to be one of ${FAULT_KINDS.map((k) => k.shape.kind.value).join(", ")}`,
  })
  .refine(
    (fault) =>
      fault.atCommand !== undefined ||
      fault.instructions !== undefined ||
      fault.probability !== undefined,
    { error: "give a trigger: atCommand, instructions or probability" },
  );

export const scenarioSchema = z.strictObject({
  /** Seeds the PRNG behind probabilities, byte positions and garbage. */
  seed: z.int().min(0).max(0xff_ff_ff_ff).default(1),
  faults: z.array(faultSchema).default([]),
});

type ParsedFault = z.output<typeof faultSchema>;

/** What a fault does to the command it fires on. */
export type FaultAction =
  | { readonly kind: "unplug"; readonly durationMs: number }
  | { readonly kind: "no-reply" }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "wrong-address"; readonly address: number }
  | { readonly kind: "error-code"; readonly code: number }
  | { readonly kind: "drop" | "corrupt" | "duplicate" | "garbage"; readonly bytes: number };

export interface Trigger {
  readonly atCommand?: readonly number[];
  readonly instructions?: readonly number[];
  readonly probability?: number;
  readonly times?: number;
}

export interface Fault {
  readonly action: FaultAction;
  readonly trigger: Trigger;
}

export interface Scenario {
  readonly seed: number;
  readonly faults: readonly Fault[];
}

/** A scenario that cannot be used; `problems` name each bad key path. */
/** A scenario file that cannot be used; `problems` name each key path. */
export class ScenarioError extends InvalidFileError {
  override readonly name = "ScenarioError";
  constructor(source: string, problems: readonly string[]) {
    super(source, "fault scenario", problems);
  }
}

const toNumber = (value: number | string): number =>
  typeof value === "number" ? value : Number.parseInt(value.slice(2), 16);

function resolveTrigger(fault: ParsedFault): Trigger {
  const { atCommand, instructions, probability, times } = fault;
  return {
    ...(atCommand !== undefined && {
      atCommand: typeof atCommand === "number" ? [atCommand] : atCommand,
    }),
    ...(instructions !== undefined && {
      instructions: instructions.map((i) => (typeof i === "number" ? i : Instruction[i])),
    }),
    ...(probability !== undefined && { probability }),
    ...(times !== undefined && { times }),
  };
}

function resolveAction(fault: ParsedFault): FaultAction {
  switch (fault.kind) {
    case "unplug":
      return { kind: fault.kind, durationMs: fault.durationMs };
    case "no-reply":
      return { kind: fault.kind };
    case "delay":
      return { kind: fault.kind, ms: fault.ms };
    case "wrong-address":
      return { kind: fault.kind, address: toNumber(fault.address) };
    case "error-code":
      return { kind: fault.kind, code: toNumber(fault.code) };
    case "drop":
    case "corrupt":
    case "duplicate":
    case "garbage":
      return { kind: fault.kind, bytes: fault.bytes };
  }
}

/** Validates parsed JSON; `source` names the file in errors. */
export function parseScenario(input: unknown, source = "scenario"): Scenario {
  const result = scenarioSchema.safeParse(input);
  if (!result.success) throw new ScenarioError(source, describeZodIssues(result.error.issues));
  return {
    seed: result.data.seed,
    faults: result.data.faults.map((fault) => ({
      action: resolveAction(fault),
      trigger: resolveTrigger(fault),
    })),
  };
}

export async function loadScenario(path: string): Promise<Scenario> {
  const json = await readJsonFile(path, "fault scenario").catch((error: unknown) => {
    if (error instanceof InvalidFileError) throw new ScenarioError(path, error.problems);
    throw error;
  });
  return parseScenario(json, path);
}

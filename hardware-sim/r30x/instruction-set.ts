import { CAPTURE_EXTENSIONS, CAPTURE_INSTRUCTIONS } from "./capture-commands.js";
import type { InstructionSpec } from "./module-context.js";
import type { SimulatedModelProfile } from "./module-profiles.js";
import { r503Instructions } from "./r503-commands.js";
import { SYSTEM_INSTRUCTIONS } from "./system-commands.js";
import { TEMPLATE_INSTRUCTIONS } from "./template-commands.js";

/** The instructions a model's firmware knows; anything else gets its unknownInstructionReply. */
export function instructionSet(profile: SimulatedModelProfile): Map<number, InstructionSpec> {
  const set = new Map([...SYSTEM_INSTRUCTIONS, ...CAPTURE_INSTRUCTIONS, ...TEMPLATE_INSTRUCTIONS]);
  if (profile.extensions)
    for (const table of [CAPTURE_EXTENSIONS, r503Instructions(profile.extensions)])
      for (const [code, spec] of table) set.set(code, spec);
  return set;
}

import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import { uint32Bytes } from "../../drivers/r30x/frame.js";
import { readUint32, type InstructionSpec, type ModuleContext } from "./module-context.js";

function verifyPassword(context: ModuleContext, args: Uint8Array): void {
  const accepted = context.settings.verifyPassword(readUint32(args, 0));
  context.acknowledge(accepted ? Confirmation.Ok : Confirmation.WrongPassword);
}

/** The new password binds from the next power cycle; this session stays verified. */
function setPassword(context: ModuleContext, args: Uint8Array): void {
  context.settings.password = readUint32(args, 0);
  context.acknowledge(Confirmation.Ok);
}

/** The R503 manual shows the acknowledge already coming from the new address. */
function setAddress(context: ModuleContext, args: Uint8Array): void {
  context.settings.address = readUint32(args, 0);
  context.acknowledge(Confirmation.Ok);
}

/**
 * The acknowledge goes out under the old settings and the change applies to what
 * follows: after a baud change the next byte is already at the new speed.
 */
function setSystemParameter(context: ModuleContext, args: Uint8Array): void {
  const parameter = args[0] ?? 0;
  const value = args[1] ?? 0;
  const confirmation = context.settings.check(parameter, value);
  context.acknowledge(confirmation);
  if (confirmation === Confirmation.Ok) context.settings.apply(parameter, value);
}

function readSystemParameters(context: ModuleContext): void {
  context.acknowledge(
    Confirmation.Ok,
    context.settings.encode({
      imageBufferValid: context.image !== undefined,
      matched: context.matched,
    }),
  );
}

function getRandomCode(context: ModuleContext): void {
  context.acknowledge(Confirmation.Ok, uint32Bytes(Math.floor(context.random() * 0x1_0000_0000)));
}

export const SYSTEM_INSTRUCTIONS: ReadonlyMap<number, InstructionSpec> = new Map([
  [Instruction.VfyPwd, { argumentLength: 4, run: verifyPassword, withoutPassword: true }],
  [Instruction.SetPwd, { argumentLength: 4, run: setPassword }],
  [Instruction.SetAddr, { argumentLength: 4, run: setAddress }],
  [Instruction.SetSysPara, { argumentLength: 2, run: setSystemParameter }],
  [Instruction.ReadSysPara, { argumentLength: 0, run: readSystemParameters }],
  [Instruction.GetRandomCode, { argumentLength: 0, run: getRandomCode }],
]);

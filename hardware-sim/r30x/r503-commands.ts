import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import { uint16Bytes, type InstructionSpec, type ModuleContext } from "./module-context.js";
import type { ProductIdentity } from "./module-profiles.js";

/** AuraLedConfig control codes: 1 breathing ... 6 fade off. */
export const AuraControl = {
  Breathing: 1,
  Flashing: 2,
  On: 3,
  Off: 4,
  FadeOn: 5,
  FadeOff: 6,
} as const;

/** AuraLedConfig colour indexes: 1 red ... 7 white. */
export const AuraColour = {
  Red: 1,
  Blue: 2,
  Purple: 3,
  Green: 4,
  Yellow: 5,
  Cyan: 6,
  White: 7,
} as const;

const FIRMWARE_VERSION_LENGTH = 32;

/** ASCII, padded with 0x00 to the field's length, as ReadProdInfo and GetFwVer send strings. */
function asciiField(text: string, length: number): Uint8Array {
  const field = new Uint8Array(length);
  field.set(Buffer.from(text, "latin1").subarray(0, length));
  return field;
}

function auraLedConfig(context: ModuleContext, args: Uint8Array): void {
  const [control = 0, speed = 0, colour = 0, cycles = 0] = args;
  const knownControl = control >= AuraControl.Breathing && control <= AuraControl.FadeOff;
  const knownColour = colour >= AuraColour.Red && colour <= AuraColour.White;
  // Off and the fades ignore the colour, so a host may leave it 0 there.
  const colourNeeded = control <= AuraControl.On;
  if (!knownControl || (colourNeeded && !knownColour)) {
    context.acknowledge(Confirmation.PacketReceiveError);
    return;
  }
  context.aura = { control, speed, colour, cycles };
  context.acknowledge(Confirmation.Ok);
}

/**
 * ReadProdInfo's product information, 46 bytes: model (16), batch (4), serial (8),
 * hardware version (2), sensor type (8), image width and height, template size and
 * library size (2 each). The v1.4.1 manual's table adds 4 reserved bytes but its own
 * length field (0x0031) counts 46; earlier manuals and client libraries agree on 46.
 */
function readProductInfo(context: ModuleContext, identity: ProductIdentity): void {
  const { imageWidth, imageHeight, templateSize } = context.profile;
  const bytes = new Uint8Array([
    ...asciiField(identity.model, 16),
    ...asciiField(identity.batch, 4),
    ...asciiField(identity.serial, 8),
    ...identity.hardwareVersion,
    ...asciiField(identity.sensorType, 8),
    ...uint16Bytes(imageWidth, imageHeight, templateSize, context.library.capacity),
  ]);
  context.acknowledge(Confirmation.Ok, bytes);
}

/** Acknowledges first, then restarts; the 0x55 follows once the module is up again. */
function softReset(context: ModuleContext): void {
  context.acknowledge(Confirmation.Ok);
  context.restart();
}

const ok = (context: ModuleContext): void => {
  context.acknowledge(Confirmation.Ok);
};

/**
 * The R503 additions. Cancel has nothing to stop: every instruction here completes
 * before the next is read. CheckSensor reports a healthy sensor unless a fault
 * scenario says otherwise.
 */
export function r503Instructions(identity: ProductIdentity): ReadonlyMap<number, InstructionSpec> {
  return new Map([
    [Instruction.AuraLedConfig, { argumentLength: 4, run: auraLedConfig }],
    [Instruction.ReadProdInfo, { argumentLength: 0, run: (c) => readProductInfo(c, identity) }],
    [
      Instruction.GetFwVer,
      {
        argumentLength: 0,
        run: (c) =>
          c.acknowledge(
            Confirmation.Ok,
            asciiField(identity.firmwareVersion, FIRMWARE_VERSION_LENGTH),
          ),
      },
    ],
    [Instruction.SoftRst, { argumentLength: 0, run: softReset }],
    [Instruction.Cancel, { argumentLength: 0, run: ok }],
    [Instruction.CheckSensor, { argumentLength: 0, run: ok }],
    [Instruction.HandShake, { argumentLength: 0, run: ok }],
  ]);
}

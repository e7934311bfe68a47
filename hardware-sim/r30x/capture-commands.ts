import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import { packedImageLength } from "../../drivers/r30x/image.js";
import { analyseImage, extractTemplate, judgeImage } from "./fingerprint-features.js";
import {
  characterBuffer,
  type HeldImage,
  type InstructionSpec,
  type ModuleContext,
} from "./module-context.js";

function analysisOf(context: ModuleContext, image: HeldImage): NonNullable<HeldImage["analysis"]> {
  image.analysis ??= analyseImage(image.packed, context.geometry);
  return image.analysis;
}

/**
 * GenImg and GetImageEx. The module decides "finger or not" from the image itself,
 * so a source that returns an empty platen still gets 0x02. GetImageEx also judges
 * the quality and answers 0x07 for a print it could not extract from (the image
 * stays in the buffer either way, as the capture did happen).
 */
function captureImage(context: ModuleContext, judgeQuality: boolean): void {
  const outcome = context.capture();
  if (outcome.kind !== "image") {
    context.image = undefined;
    context.acknowledge(
      outcome.kind === "failed" ? Confirmation.CaptureFailed : Confirmation.NoFinger,
    );
    return;
  }
  const verdict = judgeImage(analysisOf(context, outcome.image));
  if (verdict === "no-finger") {
    context.image = undefined;
    context.acknowledge(Confirmation.NoFinger);
    return;
  }
  context.image = outcome.image;
  context.acknowledge(
    judgeQuality && verdict !== "good" ? Confirmation.TooFewFeaturePoints : Confirmation.Ok,
  );
}

function upImage(context: ModuleContext): void {
  const image = context.image;
  if (!image) {
    context.acknowledge(Confirmation.NoValidPrimaryImage);
    return;
  }
  context.acknowledge(Confirmation.Ok);
  context.sendData(image.packed);
}

function downImage(context: ModuleContext): void {
  const { imageWidth, imageHeight } = context.profile;
  context.acknowledge(Confirmation.Ok);
  context.receiveData(packedImageLength(imageWidth, imageHeight), (packed) => {
    context.image = { packed };
  });
}

/** Img2Tz (GenChar): image buffer -> character file in the given buffer. */
function img2Tz(context: ModuleContext, args: Uint8Array): void {
  const buffer = characterBuffer(context, args[0]);
  if (buffer === undefined) {
    context.acknowledge(Confirmation.PacketReceiveError);
    return;
  }
  const image = context.image;
  if (!image) {
    context.acknowledge(Confirmation.NoValidPrimaryImage);
    return;
  }
  const analysis = analysisOf(context, image);
  const verdict = judgeImage(analysis);
  if (verdict !== "good") {
    context.acknowledge(
      verdict === "too-messy" ? Confirmation.ImageTooMessy : Confirmation.TooFewFeaturePoints,
    );
    return;
  }
  context.buffers[buffer] = extractTemplate(image.packed, context.geometry, analysis);
  context.acknowledge(Confirmation.Ok);
}

export const CAPTURE_INSTRUCTIONS: ReadonlyMap<number, InstructionSpec> = new Map([
  [Instruction.GenImg, { argumentLength: 0, run: (context) => captureImage(context, false) }],
  [Instruction.UpImage, { argumentLength: 0, run: upImage }],
  [Instruction.DownImage, { argumentLength: 0, run: downImage }],
  [Instruction.Img2Tz, { argumentLength: 1, run: img2Tz }],
]);

/** The R503's capture with a quality verdict. */
export const CAPTURE_EXTENSIONS: ReadonlyMap<number, InstructionSpec> = new Map([
  [Instruction.GetImageEx, { argumentLength: 0, run: (context) => captureImage(context, true) }],
]);

import { Confirmation, Instruction } from "../../drivers/r30x/constants.js";
import { isValidTemplate } from "./fingerprint-features.js";
import {
  characterBuffer,
  readUint16,
  uint16Bytes,
  type InstructionSpec,
  type ModuleContext,
} from "./module-context.js";
import {
  matchScore,
  matchThreshold,
  MERGE_THRESHOLD,
  mergeTemplates,
} from "./template-matching.js";

/** ReadIndexTable covers the library 256 pages at a time, in windows 0..3. */
const INDEX_WINDOWS = 4;

function validTemplate(context: ModuleContext, buffer: number): Uint8Array | undefined {
  const template = context.buffers[buffer];
  return template && isValidTemplate(template, context.geometry) ? template : undefined;
}

function match(context: ModuleContext): void {
  const a = validTemplate(context, 1);
  const b = validTemplate(context, 2);
  const score = a && b ? matchScore(a, b, context.geometry) : 0;
  context.matched = score >= matchThreshold(context.settings.securityLevel);
  context.acknowledge(
    context.matched ? Confirmation.Ok : Confirmation.NoMatch,
    uint16Bytes(Math.min(score, 0xff_ff)),
  );
}

/**
 * Search returns the best page in the range; HighSpeedSearch the first that clears
 * the threshold, as it stops early. A miss answers 0x09 with page and score 0.
 */
function search(context: ModuleContext, args: Uint8Array, firstHit: boolean): void {
  const buffer = characterBuffer(context, args[0]);
  const start = readUint16(args, 1);
  const count = readUint16(args, 3);
  if (buffer === undefined) {
    context.acknowledge(Confirmation.PacketReceiveError);
    return;
  }
  if (start >= context.library.capacity) {
    context.acknowledge(Confirmation.PageOutOfRange);
    return;
  }
  const probe = validTemplate(context, buffer);
  const threshold = matchThreshold(context.settings.securityLevel);
  const end = Math.min(context.library.capacity, start + count);
  let best = { page: 0, score: 0 };
  if (probe) {
    for (const page of context.library.pages()) {
      if (page < start || page >= end) continue;
      const stored = context.library.get(page);
      const score = stored ? matchScore(probe, stored, context.geometry) : 0;
      if (score > best.score) best = { page, score };
      if (firstHit && best.score >= threshold) break;
    }
  }
  context.matched = best.score >= threshold;
  if (context.matched)
    context.acknowledge(Confirmation.Ok, uint16Bytes(best.page, Math.min(best.score, 0xff_ff)));
  else context.acknowledge(Confirmation.NotFound, uint16Bytes(0, 0));
}

/** RegModel: CharBuffer1 + CharBuffer2 -> one template, written back to both. */
function regModel(context: ModuleContext): void {
  const a = validTemplate(context, 1);
  const b = validTemplate(context, 2);
  if (!a || !b || matchScore(a, b, context.geometry) < MERGE_THRESHOLD) {
    context.acknowledge(Confirmation.MergeFailed);
    return;
  }
  const merged = mergeTemplates(a, b, context.geometry);
  context.buffers[1] = merged;
  context.buffers[2] = merged.slice();
  context.acknowledge(Confirmation.Ok);
}

/**
 * Store and LoadChar share their arguments (buffer, page) and the module's answers
 * when they are wrong; undefined once a failure has been acknowledged.
 */
function bufferAndPage(
  context: ModuleContext,
  args: Uint8Array,
): { buffer: NonNullable<ReturnType<typeof characterBuffer>>; page: number } | undefined {
  const buffer = characterBuffer(context, args[0]);
  const page = readUint16(args, 1);
  if (buffer === undefined) {
    context.acknowledge(Confirmation.PacketReceiveError);
    return undefined;
  }
  if (page >= context.library.capacity) {
    context.acknowledge(Confirmation.PageOutOfRange);
    return undefined;
  }
  return { buffer, page };
}

function store(context: ModuleContext, args: Uint8Array): void {
  const target = bufferAndPage(context, args);
  if (!target) return;
  const { buffer, page } = target;
  const template = validTemplate(context, buffer);
  if (!template) {
    context.acknowledge(Confirmation.BadTemplate);
    return;
  }
  context.library.set(page, template);
  context.acknowledge(Confirmation.Ok);
}

function loadChar(context: ModuleContext, args: Uint8Array): void {
  const target = bufferAndPage(context, args);
  if (!target) return;
  const { buffer, page } = target;
  const template = context.library.get(page);
  if (!template || !isValidTemplate(template, context.geometry)) {
    context.acknowledge(Confirmation.BadTemplate);
    return;
  }
  context.buffers[buffer] = template;
  context.acknowledge(Confirmation.Ok);
}

function upChar(context: ModuleContext, args: Uint8Array): void {
  const buffer = characterBuffer(context, args[0]);
  if (buffer === undefined) {
    context.acknowledge(Confirmation.PacketReceiveError);
    return;
  }
  const template = context.buffers[buffer];
  if (!template) {
    context.acknowledge(Confirmation.UploadError);
    return;
  }
  context.acknowledge(Confirmation.Ok);
  context.sendData(template);
}

/** The bytes go into the buffer as sent; a foreign template only fails when used. */
function downChar(context: ModuleContext, args: Uint8Array): void {
  const buffer = characterBuffer(context, args[0]);
  if (buffer === undefined) {
    context.acknowledge(Confirmation.CannotReceiveDataPackets);
    return;
  }
  context.acknowledge(Confirmation.Ok);
  context.receiveData(context.profile.templateSize, (template) => {
    context.buffers[buffer] = template;
  });
}

function deleteChar(context: ModuleContext, args: Uint8Array): void {
  const start = readUint16(args, 0);
  const count = readUint16(args, 2);
  if (count === 0 || start + count > context.library.capacity) {
    context.acknowledge(Confirmation.DeleteFailed);
    return;
  }
  context.library.delete(start, count);
  context.acknowledge(Confirmation.Ok);
}

function empty(context: ModuleContext): void {
  context.library.clear();
  context.acknowledge(Confirmation.Ok);
}

function templateNum(context: ModuleContext): void {
  context.acknowledge(Confirmation.Ok, uint16Bytes(context.library.count));
}

function readIndexTable(context: ModuleContext, args: Uint8Array): void {
  const window = args[0] ?? INDEX_WINDOWS;
  if (window >= INDEX_WINDOWS) {
    context.acknowledge(Confirmation.PageOutOfRange);
    return;
  }
  context.acknowledge(Confirmation.Ok, context.library.indexTable(window));
}

export const TEMPLATE_INSTRUCTIONS: ReadonlyMap<number, InstructionSpec> = new Map([
  [Instruction.Match, { argumentLength: 0, run: match }],
  [Instruction.Search, { argumentLength: 5, run: (c, a) => search(c, a, false) }],
  [Instruction.HighSpeedSearch, { argumentLength: 5, run: (c, a) => search(c, a, true) }],
  [Instruction.RegModel, { argumentLength: 0, run: regModel }],
  [Instruction.Store, { argumentLength: 3, run: store }],
  [Instruction.LoadChar, { argumentLength: 3, run: loadChar }],
  [Instruction.UpChar, { argumentLength: 1, run: upChar }],
  [Instruction.DownChar, { argumentLength: 1, run: downChar }],
  [Instruction.DeleteChar, { argumentLength: 4, run: deleteChar }],
  [Instruction.Empty, { argumentLength: 0, run: empty }],
  [Instruction.TemplateNum, { argumentLength: 0, run: templateNum }],
  [Instruction.ReadIndexTable, { argumentLength: 1, run: readIndexTable }],
]);

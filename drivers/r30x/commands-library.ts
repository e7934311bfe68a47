import { SensorError } from "../sensor.js";
import { CaptureCommands } from "./commands-capture.js";
import {
  checkCharBuffer,
  checkUint16,
  packArgs,
  replyParameters,
  type CharBuffer,
  type CommandOptions,
} from "./commands-core.js";
import { Confirmation, deviceError, Instruction } from "./constants.js";

/** A template as R305/R307/AS608/ZFM-20 modules upload it; the R503 reports its own size in ReadProdInfo. */
export const CLASSIC_TEMPLATE_BYTES = 512;

/** RegModel's outcomes: "different-fingers" means the two character files do not belong together. */
export type MergeResult = "merged" | "different-fingers";

export type MatchResult =
  { readonly matched: true; readonly score: number } | { readonly matched: false };

export type SearchResult =
  | { readonly found: true; readonly page: number; readonly score: number }
  | { readonly found: false };

/** Library pages `start` to `start + count - 1`. */
export interface PageRange {
  readonly start: number;
  readonly count: number;
}

/** Templates in the character buffers and the flash library. */
export class LibraryCommands extends CaptureCommands {
  /** Merges character buffers 1 and 2 into one template, left in both. */
  async regModel(options: CommandOptions = {}): Promise<MergeResult> {
    const reply = await this.send(Instruction.RegModel, options);
    if (reply.confirmation === Confirmation.Ok) return "merged";
    if (reply.confirmation === Confirmation.MergeFailed) return "different-fingers";
    throw deviceError(Instruction.RegModel, reply.confirmation);
  }

  /** Compares character buffers 1 and 2. */
  async match(options: CommandOptions = {}): Promise<MatchResult> {
    const reply = await this.send(Instruction.Match, options);
    if (reply.confirmation === Confirmation.NoMatch) return { matched: false };
    if (reply.confirmation !== Confirmation.Ok) {
      throw deviceError(Instruction.Match, reply.confirmation);
    }
    return { matched: true, score: replyParameters(reply, Instruction.Match, 2).getUint16(0) };
  }

  /** Looks for `buffer`'s template among `range` of the library. */
  search(
    buffer: CharBuffer,
    range: PageRange,
    options: CommandOptions = {},
  ): Promise<SearchResult> {
    return this.#search(Instruction.Search, buffer, range, options);
  }

  /** Search with the module's faster algorithm, which may miss poor-quality prints. */
  highSpeedSearch(
    buffer: CharBuffer,
    range: PageRange,
    options: CommandOptions = {},
  ): Promise<SearchResult> {
    return this.#search(Instruction.HighSpeedSearch, buffer, range, options);
  }

  /** Writes `buffer`'s template to flash at `page`. */
  async store(buffer: CharBuffer, page: number, options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.Store, options, { args: bufferAndPage(buffer, page) });
  }

  /** Reads the template at `page` into `buffer`. */
  async loadChar(buffer: CharBuffer, page: number, options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.LoadChar, options, { args: bufferAndPage(buffer, page) });
  }

  /** `buffer`'s template bytes, at most `maxBytes` of them (CLASSIC_TEMPLATE_BYTES, or ReadProdInfo's templateSize). */
  async upChar(
    buffer: CharBuffer,
    maxBytes: number,
    options: CommandOptions = {},
  ): Promise<Uint8Array> {
    checkCharBuffer(buffer);
    const reply = await this.expectOk(Instruction.UpChar, this.transferOptions(maxBytes, options), {
      args: packArgs([buffer, 1]),
      dataLimit: maxBytes,
      checkReply: ({ data }) => {
        if (data.length === 0) throw new SensorError("protocol", "UpChar sent no template data");
      },
    });
    return reply.data;
  }

  /** Replaces `buffer`'s contents with `template`, as UpChar returned it. */
  async downChar(
    buffer: CharBuffer,
    template: Uint8Array,
    options: CommandOptions = {},
  ): Promise<void> {
    checkCharBuffer(buffer);
    await this.expectOk(Instruction.DownChar, this.transferOptions(template.length, options), {
      args: packArgs([buffer, 1]),
      outbound: template,
    });
  }

  /** Deletes the templates in `range`. */
  async deleteChar(range: PageRange, options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.DeleteChar, options, { args: rangeArgs(range) });
  }

  /** Deletes every template in the library. */
  async empty(options: CommandOptions = {}): Promise<void> {
    await this.expectOk(Instruction.Empty, options);
  }

  async #search(
    instruction: number,
    buffer: CharBuffer,
    range: PageRange,
    options: CommandOptions,
  ): Promise<SearchResult> {
    checkCharBuffer(buffer);
    const args = new Uint8Array([buffer, ...rangeArgs(range)]);
    const reply = await this.send(instruction, options, { args });
    if (reply.confirmation === Confirmation.NotFound) return { found: false };
    if (reply.confirmation !== Confirmation.Ok) throw deviceError(instruction, reply.confirmation);
    const view = replyParameters(reply, instruction, 4);
    return { found: true, page: view.getUint16(0), score: view.getUint16(2) };
  }
}

function bufferAndPage(buffer: CharBuffer, page: number): Uint8Array {
  checkCharBuffer(buffer);
  checkUint16(page, "page");
  return packArgs([buffer, 1], [page, 2]);
}

function rangeArgs({ start, count }: PageRange): Uint8Array {
  checkUint16(start, "start page");
  checkUint16(count, "page count");
  if (count === 0) throw new RangeError("page count must be at least 1");
  return packArgs([start, 2], [count, 2]);
}

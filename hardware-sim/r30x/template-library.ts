import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

const FORMAT = "basma-r30x-library";

const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(1),
  model: z.string(),
  templateSize: z.int().positive(),
  templates: z.record(z.string().regex(/^\d+$/), z.base64()),
});

/** Templates stored in the library belong to this model and are this long. */
export interface LibraryShape {
  readonly model: string;
  readonly capacity: number;
  readonly templateSize: number;
}

/**
 * The module's flash library: pages 0..capacity-1, each empty or holding one
 * template. With a path it survives restarts as a JSON file, rewritten whole (to a
 * temporary name, then renamed) after every change so a crash never leaves half a file.
 */
export class TemplateLibrary {
  readonly #pages = new Map<number, Uint8Array>();

  constructor(
    readonly shape: LibraryShape,
    private readonly path?: string,
  ) {
    if (path !== undefined) this.#load(path);
  }

  get capacity(): number {
    return this.shape.capacity;
  }

  get count(): number {
    return this.#pages.size;
  }

  has(page: number): boolean {
    return this.#pages.has(page);
  }

  get(page: number): Uint8Array | undefined {
    return this.#pages.get(page)?.slice();
  }

  /** Occupied pages in ascending order. */
  pages(): number[] {
    return [...this.#pages.keys()].sort((a, b) => a - b);
  }

  set(page: number, template: Uint8Array): void {
    this.#checkPage(page);
    if (template.length !== this.shape.templateSize)
      throw new RangeError(
        `a template is ${this.shape.templateSize} bytes, got ${template.length}`,
      );
    this.#pages.set(page, template.slice());
    this.#save();
  }

  /** Empties pages [start, start + count). */
  delete(start: number, count: number): void {
    for (let page = start; page < start + count; page++) this.#pages.delete(page);
    this.#save();
  }

  clear(): void {
    this.#pages.clear();
    this.#save();
  }

  /** ReadIndexTable: bit (page mod 8) of byte (page div 8) within a 256-page window. */
  indexTable(window: number): Uint8Array {
    const table = new Uint8Array(32);
    for (const page of this.#pages.keys()) {
      const offset = page - window * 256;
      if (offset < 0 || offset >= 256) continue;
      const byteIndex = offset >> 3;
      table[byteIndex] = (table[byteIndex] ?? 0) | (1 << (offset & 7));
    }
    return table;
  }

  #checkPage(page: number): void {
    if (!Number.isInteger(page) || page < 0 || page >= this.capacity)
      throw new RangeError(`page must be 0-${this.capacity - 1}, got ${page}`);
  }

  #load(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw new Error(`template library ${path}: cannot read it`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`template library ${path}: not valid JSON`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.join(".") ?? "";
      throw new Error(
        `template library ${path}: not a ${FORMAT} file (${where === "" ? "" : `${where}: `}${issue?.message ?? "invalid"})`,
      );
    }
    const file = parsed.data;
    if (file.model !== this.shape.model || file.templateSize !== this.shape.templateSize)
      throw new Error(
        `template library ${path} holds ${file.model} templates of ${file.templateSize} bytes; this module is a ${this.shape.model} with ${this.shape.templateSize}-byte templates`,
      );
    for (const [key, encoded] of Object.entries(file.templates)) {
      const page = Number(key);
      const template = Buffer.from(encoded, "base64");
      if (page >= this.capacity || template.length !== this.shape.templateSize)
        throw new Error(
          `template library ${path}: page ${key} is outside the library or has the wrong size`,
        );
      this.#pages.set(page, new Uint8Array(template));
    }
  }

  #save(): void {
    const path = this.path;
    if (path === undefined) return;
    const templates: Record<string, string> = {};
    for (const page of this.pages())
      templates[String(page)] = Buffer.from(this.#pages.get(page) ?? []).toString("base64");
    const body = {
      format: FORMAT,
      version: 1,
      model: this.shape.model,
      templateSize: this.shape.templateSize,
      templates,
    };
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(body, null, 1)}\n`);
    renameSync(temporary, path);
  }
}

import { EXIT } from "./cli.js";

/** Where a CLI command writes (the CLI's stdout and stderr) and, for prompts, reads. */
export interface CommandIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /** Answers to prompts; absent when nobody is there to answer. */
  readonly input?: NodeJS.ReadableStream | undefined;
}

/** A command that ran and failed for a reason the user can act on. */
export class CommandFailure extends Error {
  override readonly name = "CommandFailure";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/** The message of anything thrown, for one readable line. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

import { execFile } from "node:child_process";

export interface CommandResult {
  /** The exit status; 127 when the program was not found. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs system programs (useradd, systemctl, udevadm); tests substitute a recording one. */
export interface CommandRunner {
  run(program: string, args: readonly string[]): Promise<CommandResult>;
}

/** Runs programs for real, without a shell, with a time limit. */
export const systemCommandRunner: CommandRunner = {
  run(program, args) {
    return new Promise((resolve) => {
      execFile(
        program,
        [...args],
        { timeout: 180_000, env: { ...process.env, LC_ALL: "C", SYSTEMD_PAGER: "" } },
        (error, stdout, stderr) => {
          if (error === null) {
            resolve({ code: 0, stdout, stderr });
            return;
          }
          const code = (error as NodeJS.ErrnoException).code;
          resolve({
            code: code === "ENOENT" ? 127 : typeof error.code === "number" ? error.code : 1,
            stdout,
            stderr: stderr || error.message,
          });
        },
      );
    });
  },
};

/** The command as a person would type it, for reports. */
export function commandLine(program: string, args: readonly string[]): string {
  return [program, ...args]
    .map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word}'`))
    .join(" ");
}

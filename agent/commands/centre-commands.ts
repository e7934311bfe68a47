import type { AuthorisedGateDecision } from "../gate/gate-decision.js";
import { GateDecisionRefused, authoriseDecision } from "../gate/gate-decision.js";
import type { GateOpenResult } from "../gate/gate-relay.js";
import type { Logger } from "../log/logger.js";
import type { CentreKeys } from "./centre-keys.js";
import type { CommandParams, VerifiedCommand } from "./command-message.js";
import { CommandRefused, type RefusalCode } from "./command-refusal.js";
import {
  COMMAND_RESULT_VERSION,
  encodeCommandResult,
  refusalResult,
  type CommandResult,
} from "./command-results.js";
import { CommandVerifier, type CommandLimits } from "./command-verifier.js";
import { MAX_COMMAND_BYTES } from "./commands-config.js";
import { buildDiagnostics, type DiagnosticsSources } from "./diagnostics.js";
import type { RecentLog } from "./recent-log.js";
import type { ReplayStore } from "./replay-store.js";

/** What the agent does for each kind; CentreCommands has already verified the command. */
export interface CommandHandlers {
  /** Only an AuthorisedGateDecision reaches here: pass it to the gate relay's open(). */
  openGate(decision: AuthorisedGateDecision): GateOpenResult;
  /** Called after the `done` result went out: restart the agent (in process or by exiting). */
  restart(reason: string): void;
  /** Resend what the centre has not acknowledged; resolves with counts for the result. */
  resync(): Promise<Record<string, unknown>>;
  /** Rotate the named keys; throw for one this terminal cannot rotate. */
  rotateKeys(keys: CommandParams<"rotate-keys">["keys"]): Promise<Record<string, unknown>>;
  /** The raw material of a diagnostics bundle; redaction and size limits happen here. */
  diagnostics(): DiagnosticsSources | Promise<DiagnosticsSources>;
}

export interface CentreCommandsOptions {
  readonly deviceId: string;
  readonly keys: CentreKeys;
  readonly replayStore: ReplayStore;
  readonly limits: Omit<CommandLimits, "maxMessageBytes"> & { maxMessageBytes?: number };
  readonly handlers: CommandHandlers;
  /** Publishes one result on the results topic (QoS 1); may reject, never retried here. */
  readonly publishResult: (payload: Uint8Array) => Promise<void>;
  readonly logger: Logger;
  /** Where diagnostics take their log lines from; none when absent. */
  readonly recentLog?: RecentLog | undefined;
  readonly now?: () => Date;
  /** Messages waiting their turn, at most; more are refused as busy. 32 unless set. */
  readonly maxPending?: number;
  /** A handler taking longer is reported failed (it may still finish). 30 s unless set. */
  readonly handlerTimeoutMs?: number;
  /** A result publish taking longer is given up (logged). 10 s unless set. */
  readonly publishTimeoutMs?: number;
}

export interface CommandCounts {
  received: number;
  refused: number;
  done: number;
  failed: number;
  readonly refusedBy: Partial<Record<RefusalCode, number>>;
}

/**
 * The terminal's side of the commands topic. Messages are handled one at a time, in
 * arrival order; at most maxPending wait, each at most MAX_COMMAND_BYTES (larger ones
 * are refused before they are queued), so a flood costs bounded memory and is refused,
 * never crashes the agent. Every message ends in a logged outcome, and every one that
 * names a command id gets a result on the results topic.
 */
export class CentreCommands {
  readonly #options: CentreCommandsOptions;
  readonly #verifier: CommandVerifier;
  readonly #log: Logger;
  readonly #now: () => Date;
  readonly #maxPending: number;
  readonly #maxMessageBytes: number;
  readonly #counts: CommandCounts = { received: 0, refused: 0, done: 0, failed: 0, refusedBy: {} };
  #pending = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(options: CentreCommandsOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.#maxPending = options.maxPending ?? 32;
    this.#maxMessageBytes = options.limits.maxMessageBytes ?? MAX_COMMAND_BYTES;
    this.#verifier = new CommandVerifier({
      deviceId: options.deviceId,
      keys: options.keys,
      replayStore: options.replayStore,
      limits: { ...options.limits, maxMessageBytes: this.#maxMessageBytes },
    });
  }

  /** Counts since start, for telemetry. */
  counts(): Readonly<CommandCounts> {
    return { ...this.#counts, refusedBy: { ...this.#counts.refusedBy } };
  }

  /** Messages queued or being handled. */
  get pending(): number {
    return this.#pending;
  }

  /** Takes one message from the commands topic; settles when it has been dealt with. Never rejects. */
  handle(payload: Uint8Array): Promise<void> {
    this.#counts.received += 1;
    if (payload.length > this.#maxMessageBytes) {
      this.#refused(
        new CommandRefused(
          "too-large",
          `${payload.length} bytes, more than ${this.#maxMessageBytes}`,
        ),
      );
      return Promise.resolve();
    }
    if (this.#pending >= this.#maxPending) {
      this.#refused(new CommandRefused("busy", `${this.#pending} commands already waiting`));
      return Promise.resolve();
    }
    this.#pending += 1;
    const turn = this.#tail
      .then(() => this.#process(Buffer.from(payload)))
      .catch((error: unknown) => {
        this.#log.error({ event: "command-error", err: error }, "centre command handling failed");
      })
      .finally(() => {
        this.#pending -= 1;
      });
    this.#tail = turn;
    return turn;
  }

  /** Waits for every queued message to be dealt with. */
  async drain(): Promise<void> {
    while (this.#pending > 0) await this.#tail;
  }

  async #process(payload: Buffer): Promise<void> {
    const now = this.#now();
    let command: VerifiedCommand;
    try {
      command = this.#verifier.verify(payload, now);
    } catch (error) {
      const refusal =
        error instanceof CommandRefused
          ? error
          : new CommandRefused("internal-error", `could not check the command: ${describe(error)}`);
      this.#refused(refusal);
      if (refusal.commandId !== undefined) {
        await this.#publish(
          refusalResult(refusal.commandId, refusal.code, refusal.detail, now, refusal.kind),
        );
      }
      return;
    }
    const { commandId, kind, keyId } = command;
    this.#log.info(
      { event: "command-accepted", commandId, kind, keyId },
      `centre command ${kind} accepted`,
    );
    // Not awaited before acting: a gate opens without waiting for a broker round trip.
    const accepted = this.#publish(this.#result(command, "accepted"));
    let outcome: CommandResult;
    try {
      const result = await this.#withTimeout(this.#execute(command, now), kind);
      outcome = { ...this.#result(command, "done"), result };
      this.#counts.done += 1;
      this.#log.info({ event: "command-done", commandId, kind }, `centre command ${kind} done`);
    } catch (error) {
      const reason = error instanceof GateDecisionRefused ? "gate-refused" : undefined;
      outcome = {
        ...this.#result(command, "failed"),
        ...(reason !== undefined && { reason }),
        detail: describe(error),
      };
      this.#counts.failed += 1;
      this.#log.error(
        { event: "command-failed", commandId, kind, detail: describe(error) },
        `centre command ${kind} failed`,
      );
    }
    await accepted;
    await this.#publish(outcome);
    if (command.kind === "restart-agent" && outcome.status === "done") {
      this.#options.handlers.restart(command.params.reason ?? `centre command ${commandId}`);
    }
  }

  async #execute(command: VerifiedCommand, now: Date): Promise<Record<string, unknown>> {
    const { handlers } = this.#options;
    switch (command.kind) {
      case "open-gate": {
        const decision = authoriseDecision(
          {
            kind: "centre-command",
            command: {
              commandId: command.commandId,
              action: "open",
              openMs: command.params.openMs,
              issuedAt: command.issuedAt,
              expiresAt: command.expiresAt,
              keyId: command.keyId,
            },
          },
          now,
        );
        const opened = handlers.openGate(decision);
        if (!opened.opened) throw new GateDecisionRefused(opened.reason);
        return { openMs: opened.openMs, closesAt: opened.closesAt.toISOString() };
      }
      case "restart-agent":
        return { restarting: true };
      case "resync":
        return handlers.resync();
      case "rotate-keys":
        return handlers.rotateKeys(command.params.keys);
      case "collect-diagnostics": {
        const sources = await handlers.diagnostics();
        const lines = this.#options.recentLog?.last(command.params.logLines) ?? [];
        return buildDiagnostics(sources, lines, this.#now());
      }
    }
  }

  #result(command: VerifiedCommand, status: CommandResult["status"]): CommandResult {
    return {
      v: COMMAND_RESULT_VERSION,
      commandId: command.commandId,
      kind: command.kind,
      status,
      at: this.#now().toISOString(),
    };
  }

  #refused(refusal: CommandRefused): void {
    this.#counts.refused += 1;
    this.#counts.refusedBy[refusal.code] = (this.#counts.refusedBy[refusal.code] ?? 0) + 1;
    this.#log.warn(
      {
        event: "command-refused",
        reason: refusal.code,
        detail: refusal.detail,
        ...(refusal.commandId !== undefined && { commandId: refusal.commandId }),
        ...(refusal.kind !== undefined && { kind: refusal.kind }),
      },
      "centre command refused",
    );
  }

  async #publish(result: CommandResult): Promise<void> {
    const timeoutMs = this.#options.publishTimeoutMs ?? 10_000;
    try {
      await withDeadline(
        this.#options.publishResult(encodeCommandResult(result)),
        timeoutMs,
        `publishing the result took more than ${timeoutMs} ms`,
      );
    } catch (error) {
      this.#log.warn(
        { event: "command-result-not-sent", commandId: result.commandId, err: error },
        "could not publish a command result",
      );
    }
  }

  #withTimeout<T>(work: Promise<T>, kind: string): Promise<T> {
    const timeoutMs = this.#options.handlerTimeoutMs ?? 30_000;
    return withDeadline(work, timeoutMs, `${kind} took more than ${timeoutMs} ms`);
  }
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(message));
    }, timeoutMs);
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

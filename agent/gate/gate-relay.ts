import type { GpioOutput, LineValue } from "../../drivers/gpio/gpio.js";
import { onProcessExit, type ExitHookHost } from "./exit-hooks.js";
import {
  describeDecision,
  isAuthorisedDecision,
  type AuthorisedGateDecision,
} from "./gate-decision.js";
import { errorMessage, type GateLogger } from "./gate-logger.js";

export type GateState = "closed" | "open";

export type GateOpenResult =
  | { readonly opened: true; readonly openMs: number; readonly closesAt: Date }
  | { readonly opened: false; readonly reason: string };

export interface GateRelayOptions {
  readonly relay: GpioOutput;
  /** The door lock, released while the gate is open; absent on gates without one. */
  readonly lock?: GpioOutput | undefined;
  readonly logger: GateLogger;
  /** How long the gate stays open when the decision does not say; 5 s unless set. */
  readonly openMs?: number | undefined;
  /** No decision keeps it open longer than this; 20 s unless set. */
  readonly maxOpenMs?: number | undefined;
  /** Where process-exit hooks go; false for none (tests), `process` unless set. */
  readonly exitHooks?: ExitHookHost | false | undefined;
}

const DEFAULT_OPEN_MS = 5_000;
const DEFAULT_MAX_OPEN_MS = 20_000;

/**
 * The gate relay and door lock, failing safe: the lines are driven inactive (gate
 * closed, lock engaged) the moment this is constructed, and again on every fault, on
 * tamper, on close() and when the process ends. Only an AuthorisedGateDecision opens
 * the gate, and only for a bounded time, after which it closes by itself. Every
 * transition is logged with its reason.
 */
export class GateRelay {
  readonly #relay: GpioOutput;
  readonly #lock: GpioOutput | undefined;
  readonly #log: GateLogger;
  readonly #openMs: number;
  readonly #maxOpenMs: number;
  readonly #holds = new Set<string>();
  readonly #listeners = new Set<(state: GateState, reason: string) => void>();
  readonly #detachExitHooks: () => void;
  #state: GateState = "closed";
  #closeTimer: NodeJS.Timeout | undefined;
  #shutDown = false;

  constructor(options: GateRelayOptions) {
    this.#relay = options.relay;
    this.#lock = options.lock;
    this.#log = options.logger;
    this.#maxOpenMs = options.maxOpenMs ?? DEFAULT_MAX_OPEN_MS;
    this.#openMs = Math.min(options.openMs ?? DEFAULT_OPEN_MS, this.#maxOpenMs);
    // Before anything else: a relay left energised by a killed predecessor closes now.
    this.#driveClosed();
    this.#log.info({ gate: "closed", reason: "start-up" }, "gate closed");
    this.#detachExitHooks =
      options.exitHooks === false
        ? () => undefined
        : onProcessExit((cause) => {
            this.closeGate(`process ending (${cause})`);
          }, options.exitHooks);
  }

  get state(): GateState {
    return this.#state;
  }

  /** Why the gate is held closed (e.g. "tamper"); empty when it may open. */
  get holds(): readonly string[] {
    return [...this.#holds];
  }

  /** Called on every open and close; returns an unsubscribe function. */
  onChange(listener: (state: GateState, reason: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Opens the gate for the decision's time (capped at maxOpenMs), or this relay's
   * default. A second decision while open restarts the time. Refuses anything not
   * minted by authoriseDecision(), and everything while the gate is held closed.
   */
  open(decision: AuthorisedGateDecision): GateOpenResult {
    const refusal = this.#refusal(decision);
    if (refusal !== undefined) {
      this.#log.warn({ gate: this.#state, reason: refusal }, "gate open refused");
      return { opened: false, reason: refusal };
    }
    const reason =
      decision.source === "centre"
        ? `centre command ${decision.commandId}`
        : `operator override by ${decision.operatorId}: ${decision.reason}`;
    const openMs = Math.min(decision.openMs ?? this.#openMs, this.#maxOpenMs);
    try {
      // The lock lets go before the relay pulls, so the gate never pushes against the bolt.
      this.#lock?.write(1);
      this.#relay.write(1);
    } catch (error) {
      this.fault(error);
      return { opened: false, reason: `fault: ${errorMessage(error)}` };
    }
    const wasOpen = this.#state === "open";
    clearTimeout(this.#closeTimer);
    this.#closeTimer = setTimeout(() => {
      this.closeGate(`open time of ${openMs} ms over`);
    }, openMs);
    this.#closeTimer.unref();
    this.#state = "open";
    this.#log.info(
      { gate: "open", reason, decision: describeDecision(decision), openMs },
      wasOpen ? "gate open time restarted" : "gate opened",
    );
    if (!wasOpen) this.#notify("open", reason);
    return { opened: true, openMs, closesAt: new Date(Date.now() + openMs) };
  }

  /** Closes the gate now, if open; the lines are driven inactive either way. */
  closeGate(reason: string): void {
    clearTimeout(this.#closeTimer);
    this.#closeTimer = undefined;
    this.#driveClosed();
    if (this.#state === "closed") {
      this.#log.debug({ gate: "closed", reason }, "gate already closed");
      return;
    }
    this.#state = "closed";
    this.#log.info({ gate: "closed", reason }, "gate closed");
    this.#notify("closed", reason);
  }

  /** Any fault anywhere in the terminal closes the gate. */
  fault(error: unknown): void {
    this.#log.error({ gate: this.#state, err: error }, "fault: closing the gate");
    this.closeGate(`fault: ${errorMessage(error)}`);
  }

  /** Closes the gate and keeps it closed until every hold is released. */
  holdClosed(reason: string): void {
    const added = !this.#holds.has(reason);
    this.#holds.add(reason);
    if (added) this.#log.warn({ gate: "closed", hold: reason }, "gate held closed");
    this.closeGate(`held closed: ${reason}`);
  }

  releaseHold(reason: string): void {
    if (!this.#holds.delete(reason)) return;
    this.#log.info(
      { gate: this.#state, hold: reason, remainingHolds: [...this.#holds] },
      "gate hold released",
    );
  }

  /** Closes the gate for good: later decisions are refused. Safe to call more than once. */
  close(): void {
    this.closeGate("shutdown");
    this.#shutDown = true;
    this.#detachExitHooks();
  }

  #refusal(decision: AuthorisedGateDecision): string | undefined {
    if (this.#shutDown) return "the gate controller is shut down";
    if (!isAuthorisedDecision(decision)) return "not an authorised decision";
    if (this.#holds.size > 0) return `held closed: ${[...this.#holds].join(", ")}`;
    return undefined;
  }

  /** Each line is tried even when the other fails: one dead line must not keep the other open. */
  #driveClosed(): void {
    this.#driveInactive(this.#relay);
    if (this.#lock !== undefined) this.#driveInactive(this.#lock);
  }

  #driveInactive(line: GpioOutput): void {
    const inactive: LineValue = 0;
    try {
      line.write(inactive);
    } catch (error) {
      this.#log.error(
        { line: line.name, err: error },
        "could not drive a gate line inactive: the gate may not be closed",
      );
    }
  }

  #notify(state: GateState, reason: string): void {
    for (const listener of [...this.#listeners]) listener(state, reason);
  }
}

import { EventEmitter } from "node:events";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  authoriseDecision,
  type AuthorisedGateDecision,
} from "../../../agent/gate/gate-decision.js";
import type { ExitHookHost } from "../../../agent/gate/exit-hooks.js";
import { GateRelay, type GateRelayOptions } from "../../../agent/gate/gate-relay.js";
import type { GpioOutput, LineValue } from "../../../drivers/gpio/gpio.js";
import { SimulatedGpio } from "../../../drivers/gpio/simulated-gpio.js";
import { captureLog } from "../../support/log-capture.js";

beforeEach(() => {
  vi.useFakeTimers({ now: new Date("2025-03-01T08:00:00Z") });
});
afterEach(() => {
  vi.useRealTimers();
});

function operatorDecision(openMs?: number): AuthorisedGateDecision {
  return authoriseDecision({
    kind: "operator-override",
    operatorId: "op-17",
    reason: "escorted traveller",
    ...(openMs === undefined ? {} : { openMs }),
  });
}

function gate(options: Partial<GateRelayOptions> = {}) {
  const gpio = new SimulatedGpio();
  const log = captureLog();
  const relay = new GateRelay({
    relay: gpio.output("gateRelay", { line: 17, activeLow: false }),
    lock: gpio.output("doorLock", { line: 18, activeLow: true }),
    logger: log.logger,
    exitHooks: false,
    ...options,
  });
  const energised = () => [gpio.outputValue("gateRelay"), gpio.outputValue("doorLock")];
  return { gpio, log, relay, energised };
}

/** An output that remembers every write, starting as a previous run left it. */
function recordingOutput(name: string, initial: LineValue): GpioOutput & { writes: LineValue[] } {
  const writes: LineValue[] = [];
  let value = initial;
  return {
    name,
    line: 17,
    writes,
    get value() {
      return value;
    },
    write(next: LineValue) {
      writes.push(next);
      value = next;
    },
  };
}

describe("gate relay", () => {
  it("drives the relay and lock inactive the moment it is constructed", () => {
    const relayLine = recordingOutput("gateRelay", 1);
    const lockLine = recordingOutput("doorLock", 1);
    const log = captureLog();
    const relay = new GateRelay({
      relay: relayLine,
      lock: lockLine,
      logger: log.logger,
      exitHooks: false,
    });
    expect(relay.state).toBe("closed");
    expect([relayLine.writes, lockLine.writes]).toEqual([[0], [0]]);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ msg: "gate closed", reason: "start-up" }),
    );
  });

  it("opens for an authorised decision and closes by itself when the time is over", () => {
    const { relay, energised, log } = gate({ openMs: 5_000 });
    const result = relay.open(operatorDecision());
    expect(result).toEqual({
      opened: true,
      openMs: 5_000,
      closesAt: new Date("2025-03-01T08:00:05Z"),
    });
    expect(energised()).toEqual([1, 1]);
    vi.advanceTimersByTime(4_999);
    expect(relay.state).toBe("open");
    vi.advanceTimersByTime(1);
    expect(relay.state).toBe("closed");
    expect(energised()).toEqual([0, 0]);
    const messages = log.lines().map((line) => [line["msg"], line["reason"]]);
    expect(messages).toContainEqual([
      "gate opened",
      "operator override by op-17: escorted traveller",
    ]);
    expect(messages).toContainEqual(["gate closed", "open time of 5000 ms over"]);
  });

  it("releases the lock before pulling the relay, and drops the relay before engaging the lock", () => {
    const { gpio, relay } = gate();
    const before = gpio.transitions.length;
    relay.open(operatorDecision());
    relay.closeGate("test");
    const order = gpio.transitions.slice(before).map((t) => `${t.name}=${t.value}`);
    expect(order).toEqual(["doorLock=1", "gateRelay=1", "gateRelay=0", "doorLock=0"]);
  });

  it("caps any decision's open time at maxOpenMs", () => {
    const { relay } = gate({ maxOpenMs: 8_000 });
    expect(relay.open(operatorDecision(60_000))).toMatchObject({ opened: true, openMs: 8_000 });
    vi.advanceTimersByTime(8_000);
    expect(relay.state).toBe("closed");
  });

  it("restarts the open time for a second decision while open, announcing one opening", () => {
    const { relay } = gate({ openMs: 5_000 });
    const changes: string[] = [];
    relay.onChange((state) => changes.push(state));
    relay.open(operatorDecision());
    vi.advanceTimersByTime(4_000);
    relay.open(operatorDecision());
    vi.advanceTimersByTime(4_000);
    expect(relay.state).toBe("open");
    vi.advanceTimersByTime(1_000);
    expect(relay.state).toBe("closed");
    expect(changes).toEqual(["open", "closed"]);
  });

  it("refuses anything not minted by authoriseDecision, so capture success cannot open it", () => {
    const { relay, gpio, log } = gate();
    const forged = {
      source: "operator",
      operatorId: "capture-loop",
      reason: "all fingers captured",
      openMs: undefined,
      decidedAt: new Date(),
    } as unknown as AuthorisedGateDecision;
    expect(relay.open(forged)).toEqual({ opened: false, reason: "not an authorised decision" });
    expect(gpio.transitions.some((t) => t.value === 1)).toBe(false);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ msg: "gate open refused", reason: "not an authorised decision" }),
    );
  });

  it("closes on a fault and logs it", () => {
    const { relay, energised, log } = gate();
    relay.open(operatorDecision());
    relay.fault(new Error("sensor supervisor lost the module"));
    expect(relay.state).toBe("closed");
    expect(energised()).toEqual([0, 0]);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({
        msg: "gate closed",
        reason: "fault: sensor supervisor lost the module",
      }),
    );
  });

  it("treats a relay that cannot be energised as a fault and leaves the lock engaged", () => {
    const { relay, gpio, energised } = gate();
    gpio.failLine("gateRelay", "EIO");
    expect(relay.open(operatorDecision())).toEqual({
      opened: false,
      reason: "fault: gateRelay (GPIO 17): write failed: EIO",
    });
    expect(relay.state).toBe("closed");
    expect(energised()).toEqual([0, 0]);
  });

  it("still engages the lock when the relay line cannot be driven closed", () => {
    const { relay, gpio, energised, log } = gate();
    relay.open(operatorDecision());
    gpio.failLine("gateRelay", "EIO");
    relay.closeGate("test");
    expect(energised()).toEqual([1, 0]);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({
        level: "error",
        line: "gateRelay",
        msg: "could not drive a gate line inactive: the gate may not be closed",
      }),
    );
  });

  it("stays closed while held, and opens again once every hold is released", () => {
    const { relay } = gate();
    relay.open(operatorDecision());
    relay.holdClosed("tamper");
    relay.holdClosed("maintenance");
    expect(relay.state).toBe("closed");
    expect(relay.open(operatorDecision())).toEqual({
      opened: false,
      reason: "held closed: tamper, maintenance",
    });
    relay.releaseHold("tamper");
    expect(relay.open(operatorDecision()).opened).toBe(false);
    relay.releaseHold("maintenance");
    expect(relay.holds).toEqual([]);
    expect(relay.open(operatorDecision()).opened).toBe(true);
  });

  it("closes for good on close(), refusing later decisions", () => {
    const { relay, energised } = gate();
    relay.open(operatorDecision());
    relay.close();
    relay.close();
    expect(energised()).toEqual([0, 0]);
    expect(relay.open(operatorDecision())).toEqual({
      opened: false,
      reason: "the gate controller is shut down",
    });
  });
});

class FakeProcess extends EventEmitter implements ExitHookHost {
  readonly pid = 4242;
  readonly kills: string[] = [];
  kill(_pid: number, signal: string): boolean {
    this.kills.push(signal);
    return true;
  }
}

describe("gate relay at process end", () => {
  it("closes on SIGTERM and lets the signal end the process when nothing else handles it", () => {
    const host = new FakeProcess();
    const { relay, energised } = gate({ exitHooks: host });
    relay.open(operatorDecision());
    host.emit("SIGTERM");
    expect(energised()).toEqual([0, 0]);
    expect(host.kills).toEqual(["SIGTERM"]);
    expect(host.listenerCount("SIGTERM")).toBe(0);
  });

  it("closes on SIGINT without re-raising it when the agent has its own handler", () => {
    const host = new FakeProcess();
    host.on("SIGINT", () => undefined);
    const { relay } = gate({ exitHooks: host });
    relay.open(operatorDecision());
    host.emit("SIGINT");
    expect(relay.state).toBe("closed");
    expect(host.kills).toEqual([]);
  });

  it("closes on process exit, and removes its hooks on close()", () => {
    const host = new FakeProcess();
    const { relay, energised } = gate({ exitHooks: host });
    relay.open(operatorDecision());
    host.emit("exit");
    expect(energised()).toEqual([0, 0]);
    relay.close();
    expect(["exit", "SIGTERM", "SIGINT", "SIGHUP"].map((e) => host.listenerCount(e))).toEqual([
      0, 0, 0, 0,
    ]);
  });
});

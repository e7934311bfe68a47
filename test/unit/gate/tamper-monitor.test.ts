import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { authoriseDecision } from "../../../agent/gate/gate-decision.js";
import { GateRelay } from "../../../agent/gate/gate-relay.js";
import { TamperMonitor, type TamperCause } from "../../../agent/gate/tamper-monitor.js";
import { SimulatedGpio } from "../../../drivers/gpio/simulated-gpio.js";
import { captureLog } from "../../support/log-capture.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

const override = () =>
  authoriseDecision({ kind: "operator-override", operatorId: "op-17", reason: "test" });

function enclosure(options: { openAtStart?: boolean } = {}) {
  const gpio = new SimulatedGpio();
  const log = captureLog();
  const relay = new GateRelay({
    relay: gpio.output("gateRelay", { line: 17, activeLow: false }),
    logger: log.logger,
    exitHooks: false,
  });
  const input = gpio.input("tamper", { line: 6, activeLow: false, debounceMs: 50 });
  if (options.openAtStart === true) {
    gpio.setInput("tamper", 1);
    vi.advanceTimersByTime(50);
  }
  const monitor = new TamperMonitor({ input, relay, logger: log.logger });
  const events: string[] = [];
  monitor.on("alarm", (cause: TamperCause) => events.push(`alarm:${cause}`));
  monitor.on("cleared", (operatorId) => events.push(`cleared:${operatorId}`));
  const setLid = (open: boolean) => {
    gpio.setInput("tamper", open ? 1 : 0);
    vi.advanceTimersByTime(50);
  };
  return { gpio, log, relay, monitor, events, setLid };
}

describe("tamper monitor", () => {
  it("raises an alarm when the enclosure opens and closes an open gate at once", () => {
    const { gpio, relay, monitor, events, setLid, log } = enclosure();
    monitor.start();
    relay.open(override());
    setLid(true);
    expect(events).toEqual(["alarm:opened"]);
    expect(monitor.alarm).toBe("opened");
    expect(gpio.outputValue("gateRelay")).toBe(0);
    expect(relay.holds).toEqual(["tamper"]);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ level: "error", msg: "tamper alarm", tamper: "opened" }),
    );
  });

  it("stays latched after the enclosure is shut, refusing to open the gate", () => {
    const { relay, monitor, events, setLid } = enclosure();
    monitor.start();
    setLid(true);
    setLid(false);
    setLid(true);
    setLid(false);
    expect(events).toEqual(["alarm:opened"]);
    expect(monitor.alarm).toBe("opened");
    expect(relay.open(override())).toEqual({ opened: false, reason: "held closed: tamper" });
  });

  it("refuses to clear while the enclosure is open or without an operator", () => {
    const { monitor, setLid, events } = enclosure();
    monitor.start();
    setLid(true);
    expect(monitor.clear("op-17")).toEqual({
      cleared: false,
      reason: "the enclosure is still open",
    });
    setLid(false);
    expect(monitor.clear(" ")).toMatchObject({ cleared: false });
    expect(monitor.alarm).toBe("opened");
    expect(events).toEqual(["alarm:opened"]);
  });

  it("clears on an operator's word with the enclosure shut, and the gate may open again", () => {
    const { relay, monitor, setLid, events, log } = enclosure();
    monitor.start();
    setLid(true);
    setLid(false);
    expect(monitor.clear("op-17")).toEqual({ cleared: true });
    expect(monitor.alarm).toBeUndefined();
    expect(events).toEqual(["alarm:opened", "cleared:op-17"]);
    expect(relay.open(override()).opened).toBe(true);
    expect(log.lines()).toContainEqual(
      expect.objectContaining({ msg: "tamper alarm cleared", operatorId: "op-17" }),
    );
    expect(monitor.clear("op-17")).toEqual({ cleared: false, reason: "no tamper alarm" });
  });

  it("treats an unreadable switch as tampering, since a cut wire must not disarm it", () => {
    const { gpio, relay, monitor, events } = enclosure();
    monitor.start();
    gpio.failLine("tamper", "EIO");
    expect(events).toEqual(["alarm:unreadable"]);
    expect(relay.open(override()).opened).toBe(false);
    expect(monitor.clear("op-17")).toMatchObject({ cleared: false });
    gpio.repairLine("tamper");
    expect(monitor.clear("op-17")).toEqual({ cleared: true });
  });

  it("raises the alarm at start when the enclosure is already open", () => {
    const { relay, monitor, events } = enclosure({ openAtStart: true });
    monitor.start();
    expect(events).toEqual(["alarm:opened"]);
    expect(relay.holds).toEqual(["tamper"]);
  });

  it("keeps the gate held closed after close(), and stops reporting", () => {
    const { relay, monitor, events, setLid } = enclosure();
    monitor.start();
    setLid(true);
    monitor.close();
    setLid(false);
    setLid(true);
    expect(events).toEqual(["alarm:opened"]);
    expect(relay.holds).toEqual(["tamper"]);
  });
});

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { NotifyEnvironment } from "../../../agent/service/notify-environment.js";
import type { NotifyTransport } from "../../../agent/service/notify-transport.js";
import { ServiceNotifier } from "../../../agent/service/service-notifier.js";
import { captureLog } from "../../support/log-capture.js";

class RecordingTransport implements NotifyTransport {
  readonly sent: string[] = [];
  failWith: Error | undefined;

  send(message: string): Promise<void> {
    this.sent.push(message);
    return this.failWith === undefined ? Promise.resolve() : Promise.reject(this.failWith);
  }
}

const socket = { kind: "path", path: "/run/systemd/notify" } as const;
const environment = (watchdogUsec?: number): NotifyEnvironment => ({
  socket,
  watchdogUsec,
  problems: [],
});
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("ServiceNotifier", () => {
  let notifier: ServiceNotifier | undefined;
  afterEach(() => {
    notifier?.close();
    notifier = undefined;
  });

  it("sends READY, STATUS, STOPPING and RELOADING as newline-separated assignments", () => {
    const transport = new RecordingTransport();
    notifier = new ServiceNotifier(environment(), transport, captureLog().logger);
    notifier.ready("sensors 2 of 2 up; queue 3 waiting");
    notifier.status("capturing");
    notifier.stopping();
    notifier.stopping("stopping: flushing the queue");
    notifier.reloading();
    expect(transport.sent.slice(0, 4)).toEqual([
      "READY=1\nSTATUS=sensors 2 of 2 up; queue 3 waiting",
      "STATUS=capturing",
      "STOPPING=1",
      "STOPPING=1\nSTATUS=stopping: flushing the queue",
    ]);
    expect(transport.sent[4]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
  });

  it("keeps a status to one printable line of bounded length", () => {
    const transport = new RecordingTransport();
    notifier = new ServiceNotifier(environment(), transport, captureLog().logger);
    notifier.status("queue full\nREADY=1\tnow");
    notifier.status("x".repeat(500));
    expect(transport.sent[0]).toBe("STATUS=queue full READY=1 now");
    expect(transport.sent[1]?.length).toBeLessThanOrEqual("STATUS=".length + 200);
    expect(transport.sent.every((m) => !m.includes("\n"))).toBe(true);
  });

  it("does nothing without a notify socket, even with a watchdog timeout", () => {
    const log = captureLog();
    notifier = ServiceNotifier.fromEnvironment(log.logger, { WATCHDOG_USEC: "1000" }, 42);
    expect(notifier.enabled).toBe(false);
    expect(notifier.watchdogIntervalMs).toBeUndefined();
    notifier.ready("up");
    notifier.stopping();
    expect(log.lines()).toEqual([]);
  });

  it("logs unusable settings once, at construction", () => {
    const log = captureLog();
    notifier = ServiceNotifier.fromEnvironment(log.logger, { NOTIFY_SOCKET: "relative" }, 42);
    expect(notifier.enabled).toBe(false);
    expect(log.lines()).toHaveLength(1);
    expect(log.lines()[0]?.["level"]).toBe("warn");
  });

  it("logs a failing socket once per streak and never throws", async () => {
    const log = captureLog();
    const transport = new RecordingTransport();
    notifier = new ServiceNotifier(environment(), transport, log.logger);
    transport.failWith = new Error("cannot send to /run/systemd/notify: ECONNREFUSED");
    notifier.status("a");
    notifier.status("b");
    notifier.status("c");
    await settle();
    const levels = (): unknown[] => log.lines().map((line) => line["level"]);
    expect(levels()).toEqual(["warn", "debug", "debug"]);
    transport.failWith = undefined;
    notifier.status("d");
    await settle();
    expect(levels()).toEqual(["warn", "debug", "debug", "info"]);
    transport.failWith = new Error("again");
    notifier.status("e");
    await settle();
    expect(levels().at(-1)).toBe("warn");
  });

  describe("watchdog", () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("pings at once and then every half of WATCHDOG_USEC", () => {
      const transport = new RecordingTransport();
      notifier = new ServiceNotifier(environment(30_000_000), transport, captureLog().logger);
      expect(notifier.watchdogIntervalMs).toBe(15_000);
      expect(transport.sent).toEqual(["WATCHDOG=1"]);
      vi.advanceTimersByTime(14_999);
      expect(transport.sent).toHaveLength(1);
      vi.advanceTimersByTime(1);
      vi.advanceTimersByTime(15_000 * 3);
      expect(transport.sent).toEqual(Array<string>(5).fill("WATCHDOG=1"));
    });

    it("stops pinging on close()", () => {
      const transport = new RecordingTransport();
      notifier = new ServiceNotifier(environment(2_000_000), transport, captureLog().logger);
      vi.advanceTimersByTime(1_000);
      notifier.close();
      vi.advanceTimersByTime(60_000);
      expect(transport.sent).toEqual(["WATCHDOG=1", "WATCHDOG=1"]);
    });

    it("does not ping without a watchdog timeout", () => {
      const transport = new RecordingTransport();
      notifier = new ServiceNotifier(environment(), transport, captureLog().logger);
      vi.advanceTimersByTime(600_000);
      expect(transport.sent).toEqual([]);
    });
  });
});

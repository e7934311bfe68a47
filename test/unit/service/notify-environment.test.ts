import { describe, expect, it } from "vitest";
import { readNotifyEnvironment } from "../../../agent/service/notify-environment.js";

describe("readNotifyEnvironment", () => {
  it("finds nothing to do without NOTIFY_SOCKET", () => {
    expect(readNotifyEnvironment({}, 42)).toEqual({
      socket: undefined,
      watchdogUsec: undefined,
      problems: [],
    });
  });

  it("reads a filesystem socket and an abstract one", () => {
    expect(readNotifyEnvironment({ NOTIFY_SOCKET: "/run/systemd/notify" }, 42).socket).toEqual({
      kind: "path",
      path: "/run/systemd/notify",
    });
    expect(readNotifyEnvironment({ NOTIFY_SOCKET: "@basma/notify" }, 42).socket).toEqual({
      kind: "abstract",
      name: "basma/notify",
    });
  });

  it("refuses relative, empty-abstract and over-long addresses with a reason", () => {
    for (const value of ["run/notify", "@", `/${"x".repeat(107)}`, "vsock:2:1234"]) {
      const environment = readNotifyEnvironment({ NOTIFY_SOCKET: value }, 42);
      expect(environment.socket, value).toBeUndefined();
      expect(environment.problems, value).toHaveLength(1);
    }
  });

  it("reads the watchdog timeout when WATCHDOG_PID is ours or absent", () => {
    const socket = { NOTIFY_SOCKET: "/run/systemd/notify" };
    expect(readNotifyEnvironment({ ...socket, WATCHDOG_USEC: "30000000" }, 42).watchdogUsec).toBe(
      30_000_000,
    );
    expect(
      readNotifyEnvironment({ ...socket, WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" }, 42)
        .watchdogUsec,
    ).toBe(30_000_000);
  });

  it("leaves the watchdog to the process WATCHDOG_PID names", () => {
    const environment = readNotifyEnvironment(
      { NOTIFY_SOCKET: "/run/systemd/notify", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "7" },
      42,
    );
    expect(environment.watchdogUsec).toBeUndefined();
    expect(environment.problems).toEqual([]);
  });

  it("refuses a watchdog timeout that is not a positive whole number", () => {
    for (const value of ["0", "-5", "1.5", "soon", "99999999999999999999"]) {
      const environment = readNotifyEnvironment({ WATCHDOG_USEC: value }, 42);
      expect(environment.watchdogUsec, value).toBeUndefined();
      expect(environment.problems, value).toHaveLength(1);
    }
  });
});

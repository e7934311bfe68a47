import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createNotifyTransport,
  DatagramNotifyTransport,
  HelperNotifyTransport,
} from "../../../agent/service/notify-transport.js";

describe("notify transports", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "basma-transport-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("picks the in-process datagram socket for paths and the helper for abstract names", () => {
    expect(createNotifyTransport({ kind: "path", path: "/run/systemd/notify" })).toBeInstanceOf(
      DatagramNotifyTransport,
    );
    expect(createNotifyTransport({ kind: "abstract", name: "x" })).toBeInstanceOf(
      HelperNotifyTransport,
    );
  });

  it("rejects with the errno name when nobody listens on the path", async () => {
    const transport = new DatagramNotifyTransport(join(dir, "absent"));
    await expect(transport.send("READY=1")).rejects.toThrow(/absent: ENOENT/);
  });

  it("rejects with a reason when the helper program is missing", async () => {
    const transport = new HelperNotifyTransport("basma-none", join(dir, "no-such-helper"));
    await expect(transport.send("READY=1")).rejects.toThrow(/could not notify @basma-none/);
  });
});

import { describe, expect, it } from "vitest";
import { serviceStatusLine } from "../../../agent/service/status-line.js";

describe("serviceStatusLine", () => {
  it("summarises a healthy terminal", () => {
    expect(
      serviceStatusLine({
        capture: "in-service",
        sensors: [
          { id: "left", status: "ready" },
          { id: "right", status: "ready" },
        ],
        queue: { records: 3, level: "ok" },
      }),
    ).toBe("in-service; sensors 2/2 ready; queue 3 waiting");
  });

  it("names the sensors that are not ready and a queue that is not ok", () => {
    expect(
      serviceStatusLine({
        capture: "out-of-service",
        sensors: [
          { id: "left", status: "ready" },
          { id: "right", status: "unplugged" },
        ],
        queue: { records: 99_000, level: "warning" },
      }),
    ).toBe("out-of-service; sensors 1/2 ready (right unplugged); queue 99000 waiting (warning)");
  });
});

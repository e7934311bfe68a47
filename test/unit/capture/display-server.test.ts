import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { SessionEvents } from "../../../agent/capture/session-events.js";
import { startDisplayServer, type DisplayServer } from "../../../agent/display/display-server.js";
import { createLogger } from "../../../agent/log/logger.js";

const logger = createLogger({ name: "test", level: "silent" });
let server: DisplayServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Opens the stream and collects the SSE events it carries until `count` have arrived. */
function readEvents(
  url: string,
  count: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; events: { event: string; data: unknown }[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (response) => {
      const events: { event: string; data: unknown }[] = [];
      let buffer = "";
      if (response.statusCode !== 200) {
        response.resume();
        resolve({ status: response.statusCode ?? 0, events });
        return;
      }
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event !== undefined && data !== undefined) {
            events.push({ event, data: JSON.parse(data) as unknown });
          }
          if (events.length >= count) {
            req.destroy();
            resolve({ status: 200, events });
          }
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the display's events endpoint", () => {
  it("streams session events as Server-Sent Events, starting with the prompt on show", async () => {
    const events = new SessionEvents();
    server = await startDisplayServer({
      host: "127.0.0.1",
      port: 0,
      events,
      logger,
      current: () => ({
        type: "prompt-shown",
        promptId: "ready",
        text: { en: "Place your finger on the sensor", ar: "ضع إصبعك على قارئ البصمة" },
        at: new Date(0).toISOString(),
      }),
    });
    const reading = readEvents(server.url, 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    events.emit({
      type: "session-started",
      sessionId: "s-1",
      plan: "kiosk-two-index",
      fingers: [2, 7],
    });
    events.emit({
      type: "attempt-assessed",
      sessionId: "s-1",
      position: 2,
      attempt: 1,
      score: 22,
      condition: "wet",
      accepted: false,
    });
    const { status, events: received } = await reading;
    expect(status).toBe(200);
    expect(received.map((e) => e.event)).toEqual([
      "prompt-shown",
      "session-started",
      "attempt-assessed",
    ]);
    expect(received[2]?.data).toMatchObject({ score: 22, condition: "wet", position: 2 });
  });

  it("refuses other paths, and requests whose Host is not this machine", async () => {
    server = await startDisplayServer({
      host: "127.0.0.1",
      port: 0,
      events: new SessionEvents(),
      logger,
    });
    const other = server.url.replace("/events", "/images");
    expect((await readEvents(other, 1)).status).toBe(404);
    expect((await readEvents(server.url, 1, { host: "evil.example" })).status).toBe(403);
  });
});

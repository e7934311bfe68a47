import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { SessionEvents, TimedSessionEvent } from "../capture/session-events.js";

export interface DisplayServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  readonly events: SessionEvents;
  /** The latest prompt-shown event, replayed to a display that connects mid-session. */
  readonly current?: () => TimedSessionEvent | undefined;
  readonly logger: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
}

export interface DisplayServer {
  readonly url: string;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 15_000;
/** A browser reconnects this long after losing the stream. */
const RETRY_MS = 2_000;
/** Host names a page served from this machine uses; others are DNS-rebinding attempts. */
const LOCAL_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d+)?$/;

/**
 * Session events for a kiosk display, as Server-Sent Events on GET /events: one
 * `event: <type>` per session event with its JSON as data. SSE rather than a WebSocket
 * because the display only listens, a browser's EventSource reconnects by itself, and
 * node:http needs no dependency. It listens on loopback only and refuses requests whose
 * Host is not local, so a web page elsewhere cannot read the stream through the browser.
 */
export async function startDisplayServer(options: DisplayServerOptions): Promise<DisplayServer> {
  const clients = new Set<ServerResponse>();
  let sequence = 0;
  const write = (client: ServerResponse, event: TimedSessionEvent): void => {
    client.write(`id: ${sequence}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  };
  const unsubscribe = options.events.on((event) => {
    sequence++;
    for (const client of clients) write(client, event);
  });

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (!LOCAL_HOST.test(request.headers.host ?? "")) {
      response.writeHead(403, { "content-type": "text/plain" }).end("local displays only\n");
      return;
    }
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    if (path !== "/events") {
      response.writeHead(404, { "content-type": "text/plain" }).end("try GET /events\n");
      return;
    }
    if (request.method !== "GET") {
      response.writeHead(405, { allow: "GET", "content-type": "text/plain" }).end();
      return;
    }
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    response.write(`retry: ${RETRY_MS}\n\n`);
    const current = options.current?.();
    if (current !== undefined) write(response, current);
    clients.add(response);
    request.on("close", () => clients.delete(response));
  });
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(": keep-alive\n\n");
  }, HEARTBEAT_MS);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}/events`;
  options.logger.info({ url }, "display events listening");
  return {
    url,
    close: async () => {
      unsubscribe();
      clearInterval(heartbeat);
      for (const client of clients) client.end();
      clients.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

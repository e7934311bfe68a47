import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { QueueRoom, runCaptureLoop } from "../../../agent/capture/capture-loop.js";
import { SensorPool } from "../../../agent/capture/sensor-pool.js";
import { SessionEvents, type TimedSessionEvent } from "../../../agent/capture/session-events.js";
import { SessionTriggers } from "../../../agent/capture/session-triggers.js";
import { parseAgentConfig } from "../../../agent/config/load.js";
import { GuidancePresenter } from "../../../agent/guidance/guidance-presenter.js";
import { createLogger } from "../../../agent/log/logger.js";
import { QueueFullError } from "../../../agent/queue/storage-limits.js";
import type { CaptureRecord } from "../../../agent/records/capture-record.js";
import { GOOD, ScriptedSensor, always, scriptedAssess } from "../../support/scripted-sensor.js";

/** An outbox with room for `capacity` records, whose enqueue can be made to fail. */
class FakeOutbox {
  capacity: number;
  failNext = 0;
  readonly stored: CaptureRecord[] = [];
  readonly attempts: string[] = [];
  constructor(capacity: number) {
    this.capacity = capacity;
  }
  canAcceptSession(): boolean {
    return this.stored.length < this.capacity;
  }
  enqueue(record: CaptureRecord): { id: string; seq: number; payloadBytes: number } {
    this.attempts.push(record.id);
    if (this.failNext > 0) {
      this.failNext--;
      throw new QueueFullError(["test: the queue is full"]);
    }
    this.stored.push(record);
    return { id: record.id, seq: this.stored.length, payloadBytes: 100 };
  }
}

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

function startLoop(outbox: FakeOutbox) {
  const events: TimedSessionEvent[] = [];
  const bus = new SessionEvents((error) => {
    throw error;
  });
  bus.on((event) => events.push(event));
  const logger = createLogger({ name: "test", level: "silent" });
  const presenter = new GuidancePresenter({ events: bus, logger });
  const room = new QueueRoom();
  const controller = new AbortController();
  const sensor = new ScriptedSensor("s1", { capture: always(GOOD) });
  const finished = runCaptureLoop({
    sensors: new SensorPool([sensor]),
    config: parseAgentConfig({ capture: { plan: "verify-right-index" } }),
    outbox,
    queueRoom: room,
    queueRecheckMs: 40,
    logger,
    signal: controller.signal,
    presenter,
    events: bus,
    triggers: new SessionTriggers({ presenter }),
    onQueued: () => undefined,
    onFault: () => undefined,
    assess: scriptedAssess,
  });
  const stop = async (): Promise<void> => {
    controller.abort();
    await finished;
  };
  stops.push(stop);
  const count = (type: TimedSessionEvent["type"]): number =>
    events.filter((event) => event.type === type).length;
  const prompts = (id: string): number =>
    events.filter((event) => event.type === "prompt-shown" && event.promptId === id).length;
  return { room, stop, count, prompts };
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}

describe("the capture loop and a full queue", () => {
  it("shows out of service and starts no session while the queue has no room", async () => {
    const outbox = new FakeOutbox(0);
    const loop = startLoop(outbox);
    await until(() => loop.prompts("out-of-service") === 1);
    await sleep(200);
    expect(loop.count("session-started")).toBe(0);
    expect(loop.prompts("ready")).toBe(0);
    expect(outbox.attempts).toHaveLength(0);
  });

  it("resumes after an acknowledgement frees room, and goes out of service again when full", async () => {
    const outbox = new FakeOutbox(2);
    const loop = startLoop(outbox);
    await until(() => loop.prompts("out-of-service") === 1);
    expect(outbox.stored).toHaveLength(2);
    expect(loop.count("session-started")).toBe(2);
    // The centre acknowledges one record: the sync layer wakes the loop at once.
    outbox.capacity = 3;
    loop.room.notify();
    await until(() => loop.prompts("out-of-service") === 2);
    expect(outbox.stored).toHaveLength(3);
    expect(loop.count("session-started")).toBe(3);
  });

  it("re-checks on its own every few seconds (here 40 ms) without being woken", async () => {
    const outbox = new FakeOutbox(1);
    const loop = startLoop(outbox);
    await until(() => loop.prompts("out-of-service") === 1);
    outbox.capacity = 2;
    await until(() => outbox.stored.length === 2);
    expect(loop.count("session-started")).toBe(2);
  });

  it("holds a record refused with QueueFullError in memory, out of service, until it is stored", async () => {
    const outbox = new FakeOutbox(3);
    outbox.failNext = 3;
    const loop = startLoop(outbox);
    await until(() => outbox.attempts.length >= 2);
    expect(loop.prompts("out-of-service")).toBe(1);
    expect(loop.count("session-started")).toBe(1);
    await until(() => outbox.stored.length === 3);
    // The same record was retried until it went in; no session ran in between.
    const first = outbox.attempts[0];
    expect(outbox.attempts.slice(0, 4)).toEqual([first, first, first, first]);
    expect(outbox.stored[0]?.id).toBe(first);
    expect(new Set(outbox.stored.map((r) => r.id)).size).toBe(3);
  });
});

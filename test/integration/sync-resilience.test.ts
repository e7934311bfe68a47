import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  startEmbeddedBroker,
  type EmbeddedBroker,
} from "../../hardware-sim/broker/embedded-broker.js";
import { freePort, mosquittoPath, startMosquitto } from "../../hardware-sim/broker/mosquitto.js";
import { makeRecord } from "../support/records.js";
import { syncRig, type SyncRig } from "../support/sync-harness.js";
import { TcpProxy } from "../support/tcp-proxy.js";
import { waitFor } from "../support/wait.js";

const teardown: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

async function brokerBehindProxy(): Promise<{ broker: EmbeddedBroker; proxy: TcpProxy }> {
  const broker = await startEmbeddedBroker(0);
  teardown.push(() => broker.close());
  const proxy = await TcpProxy.start(broker.port);
  teardown.push(() => proxy.stop());
  return { broker, proxy };
}

function rig(logLevel?: string): SyncRig {
  const created = syncRig("gate-1", logLevel);
  teardown.push(() => created.close());
  return created;
}

function enqueue(target: SyncRig, count: number): string[] {
  return Array.from({ length: count }, (_, i) => target.outbox.enqueue(makeRecord(i)).id);
}

/** Every queued id reached the centre exactly once (after dedupe) and left the queue. */
function expectExactlyOnce(target: SyncRig, ids: readonly string[]): void {
  expect(target.outbox.stats().records).toBe(0);
  expect(target.store.count()).toBe(ids.length);
  expect(new Set(target.storedOrder).size).toBe(target.storedOrder.length);
  expect([...target.storedOrder].sort()).toEqual([...ids].sort());
}

describe("sync under outages", () => {
  it("delivers a 10,000-record backlog exactly once, in order, after the broker comes back, live records first", async () => {
    const { broker, proxy } = await brokerBehindProxy();
    const target = rig("warn");
    const backlog = enqueue(target, 10_000);
    proxy.refuse(true);
    await target.startCentral(broker.url);
    const sync = target.startSync(proxy.url, { inFlightWindow: 64 });
    await sleep(300);
    expect(sync.connected).toBe(false);
    expect(target.store.count()).toBe(0);
    const heapBefore = process.memoryUsage().heapUsed;
    proxy.refuse(false);
    // Once draining, a traveller's record goes ahead of what is left of the backlog.
    await waitFor("draining to start", () => target.store.count() >= 500, 60_000);
    const live = target.outbox.enqueue(makeRecord(99_999)).id;
    let peakHeap = 0;
    await waitFor(
      "the backlog to drain",
      () => {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        return target.outbox.stats().records === 0;
      },
      180_000,
      20,
    );
    expectExactlyOnce(target, [...backlog, live]);
    const backlogOrder = target.storedOrder.filter((id) => id !== live);
    expect(backlogOrder).toEqual(backlog);
    const livePosition = target.storedOrder.indexOf(live);
    expect(livePosition).toBeLessThan(target.storedOrder.length / 2);
    // Records are leased a window at a time, never the whole queue: the heap stays flat.
    expect(peakHeap - heapBefore).toBeLessThan(150 * 1024 ** 2);
  }, 300_000);

  it("resumes after the connection is cut mid-batch, losing and doubling nothing", async () => {
    const { broker, proxy } = await brokerBehindProxy();
    const target = rig();
    const ids = enqueue(target, 300);
    await target.startCentral(broker.url, { ackDelayMs: 5 });
    const sync = target.startSync(proxy.url, { inFlightWindow: 32 });
    for (let cut = 0; cut < 3; cut++) {
      await waitFor("some progress", () => target.store.count() >= (cut + 1) * 60, 30_000, 5);
      proxy.cut();
    }
    await waitFor("the queue to drain", () => target.outbox.stats().records === 0, 60_000);
    expectExactlyOnce(target, ids);
    expect(sync.counters.connections).toBeGreaterThanOrEqual(4);
  });

  it("notices a black-holed link by keepalive, reconnects, and delivers everything", async () => {
    const { broker, proxy } = await brokerBehindProxy();
    const target = rig();
    const ids = enqueue(target, 100);
    await target.startCentral(broker.url, { ackDelayMs: 20 });
    const sync = target.startSync(proxy.url, { inFlightWindow: 8, keepaliveSeconds: 1 });
    await waitFor("some progress", () => target.store.count() >= 20, 30_000, 5);
    proxy.blackHole(true);
    await waitFor("the link to be declared dead", () => !sync.connected, 10_000);
    const storedWhileDark = target.store.count();
    expect(storedWhileDark).toBeLessThan(ids.length);
    proxy.cut(); // the dead connections go; new ones get through once the hole closes
    proxy.blackHole(false);
    await waitFor("the queue to drain", () => target.outbox.stats().records === 0, 60_000);
    expectExactlyOnce(target, ids);
  });

  it("copes with a slow centre (acks after the timeout) and duplicate acks", async () => {
    const { broker } = await brokerBehindProxy();
    const target = rig();
    const ids = enqueue(target, 20);
    const central = await target.startCentral(broker.url, { ackDelayMs: 2_500, ackCopies: 3 });
    const sync = target.startSync(broker.url, { inFlightWindow: 20, ackTimeoutSeconds: 1 });
    await waitFor("the queue to drain", () => target.outbox.stats().records === 0, 30_000);
    central.behave({ ackDelayMs: 0 });
    expectExactlyOnce(target, ids);
    // Each record was sent twice (timeout before the slow ack) and acked three times per copy.
    expect(sync.counters.recordsRepublished).toBeGreaterThan(0);
    expect(target.duplicates.count).toBeGreaterThan(0);
    await waitFor("the late duplicate acks", () => sync.counters.duplicateAcks >= 2 * ids.length);
    expect(sync.counters.recordsAcknowledged).toBe(ids.length);
  });

  it("falls back from MQTT 5 to 3.1.1 when the broker refuses 5", async () => {
    const { broker } = await brokerBehindProxy();
    const target = rig();
    const ids = enqueue(target, 5);
    await target.startCentral(broker.url);
    const sync = target.startSync(broker.url, { protocolVersion: 5 });
    await waitFor("the queue to drain", () => target.outbox.stats().records === 0);
    expect(sync.protocolVersion).toBe(4);
    expectExactlyOnce(target, ids);
    expect(target.log.lines().some((l) => String(l["msg"]).includes("falling back"))).toBe(true);
  });

  it.skipIf(mosquittoPath === undefined)(
    "survives a Mosquitto restart mid-batch over MQTT 5",
    async () => {
      const port = await freePort();
      let mosquitto = await startMosquitto({ port });
      teardown.push(() => mosquitto.stop());
      const target = rig();
      const ids = enqueue(target, 200);
      await target.startCentral(mosquitto.url, { ackDelayMs: 5 });
      // Mosquitto without persistence forgets what it held, in flight and unacknowledged:
      // the records it lost go again when their acknowledgement does not come.
      const sync = target.startSync(mosquitto.url, {
        protocolVersion: 5,
        inFlightWindow: 16,
        ackTimeoutSeconds: 3,
      });
      await waitFor("some progress", () => target.store.count() >= 40, 30_000, 5);
      await mosquitto.stop();
      await sleep(300);
      mosquitto = await startMosquitto({ port });
      await waitFor("the queue to drain", () => target.outbox.stats().records === 0, 60_000);
      expect(sync.protocolVersion).toBe(5);
      expectExactlyOnce(target, ids);
    },
  );
});

describe("status topic", () => {
  it("publishes health retained, and the broker says offline for a terminal that vanished", async () => {
    const { broker, proxy } = await brokerBehindProxy();
    const target = rig();
    enqueue(target, 2);
    const central = await target.startCentral(broker.url, { unavailable: true });
    target.startSync(proxy.url, { keepaliveSeconds: 1 }, () => ({
      capture: "in-service",
      sensors: [{ id: "sensor-1", status: "ready" }],
      queue: {
        records: target.outbox.stats().records,
        payloadBytes: 0,
        oldestEnqueuedAt: target.outbox.stats().oldestEnqueuedAt,
        quarantined: 0,
        oldestAgeSeconds: 1,
        level: "ok",
        reasons: [],
      },
      disk: { freeBytes: 1 },
      lastCaptureAt: null,
    }));
    await waitFor("an online status", () => central.status("gate-1")?.state === "online");
    expect(central.status("gate-1")?.health?.queue.records).toBe(2);
    expect(central.status("gate-1")?.health?.sensors).toEqual([
      { id: "sensor-1", status: "ready" },
    ]);
    proxy.cut();
    proxy.refuse(true);
    await waitFor("the last will", () => central.status("gate-1")?.state === "offline");
    proxy.refuse(false);
    await waitFor("online again", () => central.status("gate-1")?.state === "online", 10_000);
  });
});

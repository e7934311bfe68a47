import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAgentConfig } from "../../agent/config/load.js";
import type { AgentConfigInput } from "../../agent/config/schema.js";
import { Outbox } from "../../agent/queue/outbox.js";
import { CentreSync } from "../../agent/sync/centre-sync.js";
import type { LocalHealth } from "../../agent/sync/health-reporter.js";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import {
  ReferenceCentral,
  type CentralBehaviour,
} from "../../hardware-sim/central/reference-central.js";
import { captureLog, type CapturedLog } from "./log-capture.js";

export interface SyncRig {
  readonly dir: string;
  readonly outbox: Outbox;
  readonly store: CentralStore;
  readonly log: CapturedLog;
  /** Ids in the order the centre stored them first (duplicates left out). */
  readonly storedOrder: string[];
  /** How many deliveries the centre saw that it already held. */
  readonly duplicates: { count: number };
  startCentral(
    brokerUrl: string,
    behaviour?: Partial<CentralBehaviour>,
    tls?: { ca: string; cert: string; key: string },
  ): Promise<ReferenceCentral>;
  startSync(
    brokerUrl: string,
    mqtt?: AgentConfigInput["mqtt"],
    health?: () => LocalHealth,
  ): CentreSync;
  close(): Promise<void>;
}

/** A terminal's queue and sync on one side, the reference centre and its store on the other. */
export function syncRig(deviceId = "gate-1", logLevel = "debug"): SyncRig {
  const dir = mkdtempSync(join(tmpdir(), "basma-sync-"));
  const outbox = Outbox.open(join(dir, "queue.sqlite"));
  const store = new CentralStore(join(dir, "central.sqlite"));
  const log = captureLog(logLevel);
  const storedOrder: string[] = [];
  const duplicates = { count: 0 };
  const stops: (() => Promise<void>)[] = [];
  return {
    dir,
    outbox,
    store,
    log,
    storedOrder,
    duplicates,
    async startCentral(brokerUrl, behaviour, tls) {
      const central = new ReferenceCentral({
        brokerUrl,
        topicPrefix: "basma",
        store,
        logger: log.logger,
        behaviour,
        tls,
      });
      central.on("stored", ({ id, duplicate }) => {
        if (duplicate) duplicates.count += 1;
        else storedOrder.push(id);
      });
      await central.start();
      stops.push(() => central.stop());
      return central;
    },
    startSync(brokerUrl, mqtt = {}, health) {
      const config = parseAgentConfig({
        device: { id: deviceId },
        mqtt: { reconnect: { initialMs: 50, maxMs: 500 }, ...mqtt, url: brokerUrl },
      });
      const sync = new CentreSync({
        mqtt: config.mqtt,
        deviceId,
        outbox,
        logger: log.logger,
        agentVersion: "test",
        health,
      });
      sync.start();
      stops.push(() => sync.stop());
      return sync;
    },
    async close() {
      for (const stop of stops.reverse()) await stop();
      outbox.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

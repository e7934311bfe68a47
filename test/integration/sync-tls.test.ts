import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CentreSync } from "../../agent/sync/centre-sync.js";
import { deviceTopics } from "../../agent/sync/topics.js";
import {
  deviceAcl,
  mosquittoPath,
  startMosquitto,
  type RunningMosquitto,
} from "../../hardware-sim/broker/mosquitto.js";
import {
  TestCertificateAuthority,
  type PemCredential,
} from "../../hardware-sim/central/test-ca.js";
import { makeRecord } from "../support/records.js";
import { syncRig, type SyncRig } from "../support/sync-harness.js";
import { waitFor } from "../support/wait.js";

const CENTRE_USER = "basma-centre";

/** Writes a credential and the CA where a terminal's config points. */
function credentialFiles(dir: string, name: string, ca: string, credential: PemCredential) {
  const files = {
    ca: join(dir, `${name}-ca.pem`),
    cert: join(dir, `${name}.pem`),
    key: join(dir, `${name}.key`),
  };
  writeFileSync(files.ca, ca);
  writeFileSync(files.cert, credential.certPem);
  writeFileSync(files.key, credential.keyPem, { mode: 0o600 });
  return files;
}

function connect(
  url: string,
  credential: PemCredential | undefined,
  ca: string,
  clientId: string,
): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    ca,
    ...(credential && { cert: credential.certPem, key: credential.keyPem }),
    rejectUnauthorized: true,
  });
}

describe.skipIf(mosquittoPath === undefined)(
  "sync over mutual TLS to Mosquitto with per-device ACLs",
  () => {
    let ca: TestCertificateAuthority;
    let broker: RunningMosquitto;
    let dir: string;
    let centreFiles: { ca: string; cert: string; key: string };
    let deviceFiles: { ca: string; cert: string; key: string };
    let rig: SyncRig;
    let sync: CentreSync;
    const clients: MqttClient[] = [];

    beforeAll(async () => {
      ca = await TestCertificateAuthority.create();
      const server = await ca.issueServer({ commonName: "localhost", ipAddresses: ["127.0.0.1"] });
      broker = await startMosquitto({
        tls: { caPem: ca.certPem, certPem: server.certPem, keyPem: server.keyPem },
        acl: deviceAcl("basma", CENTRE_USER),
      });
      dir = mkdtempSync(join(tmpdir(), "basma-tls-"));
      centreFiles = credentialFiles(dir, "centre", ca.certPem, await ca.issueClient(CENTRE_USER));
      deviceFiles = credentialFiles(dir, "gate-1", ca.certPem, await ca.issueClient("gate-1"));
      rig = syncRig("gate-1");
    });

    afterAll(async () => {
      for (const client of clients) await client.endAsync(true);
      await rig.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("delivers records end to end over MQTT 5 with the device's own certificate", async () => {
      const ids = Array.from({ length: 20 }, (_, i) => rig.outbox.enqueue(makeRecord(i)).id);
      const central = await rig.startCentral(broker.url, undefined, centreFiles);
      sync = rig.startSync(broker.url, { protocolVersion: 5, tls: deviceFiles });
      await waitFor("the queue to drain", () => rig.outbox.stats().records === 0, 30_000);
      expect(sync.protocolVersion).toBe(5);
      expect([...rig.storedOrder].sort()).toEqual([...ids].sort());
      await waitFor(
        "the retained online status",
        () => central.status("gate-1")?.state === "online",
      );
    });

    it("lets another terminal neither publish on this terminal's topics nor read its acks", async () => {
      const intruderCredential = await ca.issueClient("gate-2");
      const intruder = await connect(broker.url, intruderCredential, ca.certPem, "basma-gate-2");
      clients.push(intruder);
      const topics = deviceTopics("basma", "gate-1");
      // Mosquitto grants the subscription and filters on delivery: nothing may arrive.
      const overheard: string[] = [];
      intruder.on("message", (topic) => overheard.push(topic));
      await intruder.subscribeAsync(topics.acks, { qos: 1 });
      rig.outbox.enqueue(makeRecord(77));
      sync.pump();
      await waitFor("the new record to be acknowledged", () => rig.outbox.stats().records === 0);
      expect(overheard).toEqual([]);
      const before = rig.store.count();
      // MQTT 5 brokers answer a refused publish with a PUBACK reason code >= 0x80.
      await expect(
        intruder.publishAsync(topics.records, Buffer.from("forged"), { qos: 1 }),
      ).rejects.toThrow();
      const own = deviceTopics("basma", "gate-2");
      await intruder.publishAsync(own.status, Buffer.from("{}"), { qos: 1 });
      expect(rig.store.count()).toBe(before);
    });

    it("refuses a client without a certificate, and one from another CA", async () => {
      await expect(connect(broker.url, undefined, ca.certPem, "anonymous")).rejects.toThrow();
      const stranger = await TestCertificateAuthority.create({ commonName: "Other CA" });
      const foreign = await stranger.issueClient("gate-1");
      await expect(connect(broker.url, foreign, ca.certPem, "foreign")).rejects.toThrow();
    });

    it("does not trust a broker whose certificate the pinned CA did not sign", async () => {
      const stranger = await TestCertificateAuthority.create({ commonName: "Other CA" });
      const otherServer = await stranger.issueServer({
        commonName: "localhost",
        ipAddresses: ["127.0.0.1"],
      });
      const impostor = await startMosquitto({
        tls: { caPem: ca.certPem, certPem: otherServer.certPem, keyPem: otherServer.keyPem },
      });
      try {
        const credential = await ca.issueClient("gate-1");
        await expect(
          connect(impostor.url, credential, ca.certPem, "gate-1-pinned"),
        ).rejects.toThrow(/certificate/i);
      } finally {
        await impostor.stop();
      }
    });
  },
);

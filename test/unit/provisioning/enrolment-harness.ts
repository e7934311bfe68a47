import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import mqtt from "mqtt";
import {
  startEmbeddedBroker,
  type EmbeddedBroker,
} from "../../../hardware-sim/broker/embedded-broker.js";
import { EnrolmentIssuer } from "../../../hardware-sim/central/enrolment-issuer.js";
import { TestCertificateAuthority } from "../../../hardware-sim/central/test-ca.js";
import { resolvePaths, type ProvisionPaths } from "../../../provisioning/paths.js";

/** An embedded broker with a centre answering enrolment requests, and a terminal's temporary root. */
export interface EnrolmentBench {
  readonly broker: EmbeddedBroker;
  readonly ca: TestCertificateAuthority;
  readonly issuer: EnrolmentIssuer;
  readonly commandKeyPem: string;
  readonly root: string;
  readonly paths: ProvisionPaths;
  /** Moves the centre's clock. */
  advanceClock(ms: number): void;
  writeConfig(deviceId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startEnrolmentBench(): Promise<EnrolmentBench> {
  const broker = await startEmbeddedBroker(0);
  const ca = await TestCertificateAuthority.create();
  const commandKeyPem = generateKeyPairSync("ed25519")
    .publicKey.export({ type: "spki", format: "pem" })
    .toString();
  let offsetMs = 0;
  const central = await mqtt.connectAsync(broker.url, {
    clientId: "test-centre",
    reconnectPeriod: 0,
  });
  const issuer = new EnrolmentIssuer({
    ca,
    commandKeyPem,
    commandKeyId: "centre-test",
    topicPrefix: "basma",
    publish: async (topic, payload) => {
      await central.publishAsync(topic, payload, { qos: 1 });
    },
    now: () => new Date(Date.now() + offsetMs),
  });
  central.on("message", (topic, payload) => {
    void issuer.handle(topic, payload);
  });
  await central.subscribeAsync(issuer.subscriptions(), { qos: 1 });
  const root = await mkdtemp(join(tmpdir(), "basma-enrol-"));
  const paths = resolvePaths({ root });
  return {
    broker,
    ca,
    issuer,
    commandKeyPem,
    root,
    paths,
    advanceClock: (ms) => {
      offsetMs += ms;
    },
    writeConfig: async (deviceId) => {
      await mkdir(dirname(paths.config), { recursive: true });
      await writeFile(
        paths.config,
        JSON.stringify({ device: { id: deviceId }, mqtt: { url: broker.url, protocolVersion: 4 } }),
      );
    },
    close: async () => {
      await central.endAsync(true);
      await broker.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

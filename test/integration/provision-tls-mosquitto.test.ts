import { webcrypto } from "node:crypto";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TestCertificateAuthority,
  type PemCredential,
} from "../../hardware-sim/central/test-ca.js";
import * as x509 from "../../provisioning/identity/x509.js";
import { mosquittoPath } from "../../hardware-sim/broker/mosquitto.js";
import { startMosquittoTls, type RunningMosquittoTls } from "../support/mosquitto-tls.js";

async function connectOutcome(
  url: string,
  options: { ca: string; cert?: string; key?: string },
): Promise<string> {
  const client = mqtt.connect(url, {
    ...options,
    clientId: `tls-test-${Math.random().toString(16).slice(2)}`,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
  });
  try {
    return await new Promise<string>((resolve) => {
      client.once("connect", () => resolve("connected"));
      client.once("error", (error) => resolve(error.message));
      client.once("close", () => resolve("closed"));
    });
  } finally {
    await client.endAsync(true);
  }
}

/** A client identity the way a terminal makes it: its own key, a CSR, a signed certificate. */
async function enrolledIdentity(
  ca: TestCertificateAuthority,
  deviceId: string,
): Promise<PemCredential> {
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: [{ CN: [deviceId] }], keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } },
    webcrypto,
  );
  const certPem = await ca.signCsr(csr.toString("pem"), { expectedCommonName: deviceId });
  const keyPem = x509.PemConverter.encode(
    await webcrypto.subtle.exportKey("pkcs8", keys.privateKey),
    "PRIVATE KEY",
  );
  return { certPem, keyPem };
}

describe.skipIf(mosquittoPath === undefined)(
  "TestCertificateAuthority with Mosquitto (OpenSSL 3)",
  () => {
    let ca: TestCertificateAuthority;
    let broker: RunningMosquittoTls;

    beforeAll(async () => {
      ca = await TestCertificateAuthority.create();
      const server = await ca.issueServer({ commonName: "localhost", ipAddresses: ["127.0.0.1"] });
      broker = await startMosquittoTls({ caPem: ca.certPem, server });
    });
    afterAll(async () => {
      await broker.stop();
    });
    /** Connects with a client identity, trusting this test's CA. */
    const connectAs = (identity: PemCredential): Promise<string> =>
      connectOutcome(broker.url, { ca: ca.certPem, cert: identity.certPem, key: identity.keyPem });

    it("accepts a client certificate issued by issueClient", async () => {
      const client = await ca.issueClient("terminal-001");
      expect(await connectAs(client)).toBe("connected");
    });

    it("accepts a client certificate signed from a device's CSR", async () => {
      const identity = await enrolledIdentity(ca, "terminal-002");
      expect(await connectAs(identity)).toBe("connected");
    });

    it("refuses a client certificate from another CA", async () => {
      const other = await TestCertificateAuthority.create({ commonName: "Other CA" });
      const stranger = await other.issueClient("terminal-001");
      expect(await connectAs(stranger)).not.toBe("connected");
    });

    it("refuses a client with no certificate", async () => {
      expect(await connectOutcome(broker.url, { ca: ca.certPem })).not.toBe("connected");
    });

    it("is refused by a client that trusts another CA", async () => {
      const other = await TestCertificateAuthority.create({ commonName: "Other CA" });
      const client = await ca.issueClient("terminal-001");
      const outcome = await connectOutcome(broker.url, {
        ca: other.certPem,
        cert: client.certPem,
        key: client.keyPem,
      });
      expect(outcome).toMatch(/self.signed|unable to (get|verify)/i);
    });
  },
);

import { createPrivateKey, sign } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TestCertificateAuthority } from "../../../hardware-sim/central/test-ca.js";
import { enrolTopics, renewalProofInput } from "../../../provisioning/enrol/enrolment-messages.js";
import { buildCsr, generateDeviceKey } from "../../../provisioning/identity/device-key.js";
import { startEnrolmentBench, type EnrolmentBench } from "./enrolment-harness.js";

describe("renewal at the centre", () => {
  let bench: EnrolmentBench;
  beforeEach(async () => {
    bench = await startEnrolmentBench();
  });
  afterEach(async () => {
    await bench.close();
  });

  /** A device the CA already certified: its key and certificate. */
  async function enrolled(ca: TestCertificateAuthority, deviceId: string) {
    const keyPem = generateDeviceKey("ecdsa-p256");
    const certPem = await ca.signCsr(await buildCsr(keyPem, deviceId));
    return { keyPem, certPem };
  }

  async function renew(
    deviceId: string,
    current: { keyPem: string; certPem: string },
    tamper: (body: Record<string, unknown>) => void = () => undefined,
  ) {
    const csrPem = await buildCsr(generateDeviceKey("ed25519"), deviceId);
    const requestId = "renew-request-01";
    const body: Record<string, unknown> = {
      version: 1,
      kind: "renew",
      requestId,
      deviceId,
      csrPem,
      certPem: current.certPem,
      proof: sign(
        "sha256",
        renewalProofInput(requestId, csrPem),
        createPrivateKey(current.keyPem),
      ).toString("base64"),
    };
    tamper(body);
    return bench.issuer.handle(
      enrolTopics.renewRequest("basma", deviceId),
      Buffer.from(JSON.stringify(body)),
    );
  }

  it("renews a device that proves its current key", async () => {
    const outcome = await renew("gate-07", await enrolled(bench.ca, "gate-07"));
    expect(outcome).toEqual({ ok: true, kind: "renew", deviceId: "gate-07" });
  });

  it("refuses a current certificate from another CA", async () => {
    const other = await TestCertificateAuthority.create({ commonName: "Other" });
    const outcome = await renew("gate-07", await enrolled(other, "gate-07"));
    expect(outcome).toEqual({
      ok: false,
      reason: "the current certificate is not from this centre's CA",
    });
  });

  it("refuses another device's certificate", async () => {
    const outcome = await renew("gate-07", await enrolled(bench.ca, "gate-08"));
    expect(outcome).toEqual({ ok: false, reason: "the current certificate is for another device" });
  });

  it("refuses a proof made for another CSR", async () => {
    const current = await enrolled(bench.ca, "gate-07");
    const other = await buildCsr(generateDeviceKey("ecdsa-p256"), "gate-07");
    const outcome = await renew("gate-07", current, (body) => {
      body.csrPem = other;
    });
    expect(outcome).toEqual({ ok: false, reason: "the proof of the current key does not verify" });
  });

  it("refuses a request on another device's topic", async () => {
    const current = await enrolled(bench.ca, "gate-07");
    const csrPem = await buildCsr(generateDeviceKey("ecdsa-p256"), "gate-07");
    const outcome = await bench.issuer.handle(
      enrolTopics.renewRequest("basma", "gate-08"),
      Buffer.from(
        JSON.stringify({
          version: 1,
          kind: "renew",
          requestId: "renew-request-02",
          deviceId: "gate-07",
          csrPem,
          certPem: current.certPem,
          proof: "AA==",
        }),
      ),
    );
    expect(outcome).toEqual({ ok: false, reason: "device gate-07 asked on gate-08's topic" });
  });
});

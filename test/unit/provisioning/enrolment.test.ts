import { X509Certificate, createPrivateKey } from "node:crypto";
import { access, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enrolDevice } from "../../../provisioning/enrol/enrol-device.js";
import {
  enrolResponseSchema,
  enrolTopics,
  type BootstrapCredential,
} from "../../../provisioning/enrol/enrolment-messages.js";
import { buildCsr, generateDeviceKey } from "../../../provisioning/identity/device-key.js";
import { identityFiles } from "../../../provisioning/paths.js";
import { startEnrolmentBench, type EnrolmentBench } from "./enrolment-harness.js";

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe("enrolment by claim against the embedded broker", () => {
  let bench: EnrolmentBench;
  beforeEach(async () => {
    bench = await startEnrolmentBench();
    await bench.writeConfig("gate-07");
  });
  afterEach(async () => {
    await bench.close();
  });

  async function placeClaim(claim: BootstrapCredential): Promise<string> {
    const path = identityFiles(bench.paths).bootstrap;
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, JSON.stringify(claim), { mode: 0o600 });
    return path;
  }

  const enrol = (bootstrapFile?: string) =>
    enrolDevice({
      paths: bench.paths,
      bootstrapFile,
      algorithm: "ecdsa-p256",
      owner: undefined,
      timeoutMs: 5_000,
    });

  function mint(deviceId?: string): BootstrapCredential {
    return bench.issuer.mintClaim({
      brokerUrl: bench.broker.url,
      deviceBrokerUrl: "mqtts://broker.example:8883",
      deviceId,
    });
  }

  it("stores a certificate for the device's own key, the CA and the command key, and switches the config", async () => {
    const bootstrap = await placeClaim(mint("gate-07"));
    const result = await enrol();
    const files = identityFiles(bench.paths);

    const certificate = new X509Certificate(await readFile(files.cert, "utf8"));
    expect(certificate.subject).toBe("CN=gate-07");
    expect(certificate.checkIssued(new X509Certificate(bench.ca.certPem))).toBe(true);
    expect(certificate.checkPrivateKey(createPrivateKey(await readFile(files.key, "utf8")))).toBe(
      true,
    );
    expect(await readFile(files.ca, "utf8")).toBe(bench.ca.certPem);
    expect(await readFile(files.commandKey, "utf8")).toBe(bench.commandKeyPem);
    expect(await mode(files.key)).toBe(0o600);
    expect(await mode(files.cert)).toBe(0o644);
    expect(await mode(bench.paths.config)).toBe(0o640);
    await expect(access(bootstrap)).rejects.toThrow(/ENOENT/);

    const config = JSON.parse(await readFile(bench.paths.config, "utf8")) as {
      device: { id: string };
      mqtt: { url: string; tls: unknown };
      commands: unknown;
    };
    expect(config.device.id).toBe("gate-07");
    expect(config.mqtt.url).toBe("mqtts://broker.example:8883");
    expect(config.mqtt.tls).toEqual({ ca: files.ca, cert: files.cert, key: files.key });
    expect(config.commands).toEqual({ centreKeys: { "centre-test": files.commandKey } });
    expect(result).toMatchObject({ deviceId: "gate-07", newKey: true });
  });

  it("refuses a claim token the second time", async () => {
    const claim = mint();
    await placeClaim(claim);
    await enrol();
    await placeClaim(claim);
    await expect(enrol()).rejects.toThrow(/the centre refused: this claim has already been used/);
  });

  it("refuses an expired claim at the centre", async () => {
    await placeClaim(mint());
    bench.advanceClock(31 * 60_000);
    await expect(enrol()).rejects.toThrow(/the centre refused: this claim has expired/);
    await expect(access(identityFiles(bench.paths).cert)).rejects.toThrow(/ENOENT/);
  });

  it("refuses an expired claim locally, before connecting", async () => {
    await placeClaim({ ...mint(), expiresAt: new Date(Date.now() - 1_000).toISOString() });
    await expect(enrol()).rejects.toThrow(/expired at .*ask the centre for a new claim/);
  });

  it("refuses a claim made for another device, on the terminal", async () => {
    await placeClaim(mint("gate-99"));
    await expect(enrol()).rejects.toThrow(/for device gate-99, but this terminal is gate-07/);
  });

  it("refuses a CA other than the one the claim pins", async () => {
    await placeClaim({ ...mint(), caSha256: "ab".repeat(32) });
    await expect(enrol()).rejects.toThrow(
      /refusing what the centre sent: the CA certificate's fingerprint/,
    );
    await expect(access(identityFiles(bench.paths).ca)).rejects.toThrow(/ENOENT/);
  });

  describe("at the centre, from a raw client", () => {
    async function ask(claim: BootstrapCredential, body: Record<string, unknown>) {
      const client = await mqtt.connectAsync(bench.broker.url, {
        clientId: "raw",
        reconnectPeriod: 0,
      });
      try {
        const answer = new Promise<unknown>((resolve) => {
          client.on("message", (_topic, payload) => resolve(JSON.parse(payload.toString())));
        });
        await client.subscribeAsync(enrolTopics.claimResponse("basma", claim.claimId), { qos: 1 });
        await client.publishAsync(
          enrolTopics.claimRequest("basma", claim.claimId),
          JSON.stringify({ version: 1, kind: "claim", requestId: "request-0001", ...body }),
          { qos: 1 },
        );
        return enrolResponseSchema.parse(await answer);
      } finally {
        await client.endAsync(true);
      }
    }

    it("refuses a CSR naming another device than the request", async () => {
      const claim = mint();
      const csrPem = await buildCsr(generateDeviceKey("ecdsa-p256"), "gate-99");
      const answer = await ask(claim, { deviceId: "gate-07", token: claim.token, csrPem });
      expect(answer.ok).toBe(false);
      expect(answer.ok ? "" : answer.error).toMatch(/"gate-99", expected "gate-07"/);
    });

    it("refuses a request for another device than the claim's", async () => {
      const claim = mint("gate-07");
      const csrPem = await buildCsr(generateDeviceKey("ed25519"), "gate-99");
      const answer = await ask(claim, { deviceId: "gate-99", token: claim.token, csrPem });
      expect(answer).toMatchObject({
        ok: false,
        error: "this claim is for device gate-07, not gate-99",
      });
    });

    it("refuses a wrong token, and the right one still works afterwards", async () => {
      const claim = mint();
      const csrPem = await buildCsr(generateDeviceKey("ed25519"), "gate-07");
      const wrong = await ask(claim, { deviceId: "gate-07", token: "x".repeat(43), csrPem });
      expect(wrong).toMatchObject({ ok: false, error: "unknown claim or wrong token" });
      const right = await ask(claim, { deviceId: "gate-07", token: claim.token, csrPem });
      expect(right.ok).toBe(true);
    });

    it("answers a malformed request with a refusal and keeps serving", async () => {
      const claim = mint();
      const answer = await ask(claim, { deviceId: "gate-07", token: claim.token, csrPem: "nope" });
      expect(answer).toMatchObject({ ok: false, error: "malformed enrolment request" });
      expect(await bench.issuer.handle("basma/enrol/x/request", Buffer.from("{{"))).toEqual({
        ok: false,
        reason: "the request is not JSON",
      });
    });
  });
});

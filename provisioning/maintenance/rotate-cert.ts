import { createPrivateKey, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { AgentConfig } from "../../agent/config/schema.js";
import { CommandFailure, messageOf } from "../../agent/cli-support/command-io.js";
import { exchangeWithCentre, newRequestId } from "../enrol/certificate-request.js";
import { verifyIssued } from "../enrol/enrol-device.js";
import { ENROLMENT_VERSION, enrolTopics, renewalProofInput } from "../enrol/enrolment-messages.js";
import type { FileOwner } from "../file-owner.js";
import { certificateSha256 } from "../identity/certificate-check.js";
import { buildCsr, generateDeviceKey, type KeyAlgorithm } from "../identity/device-key.js";
import { writePrivateKey, writePublicFile } from "../identity/identity-store.js";

export interface RotationResult {
  readonly deviceId: string;
  readonly certificate: { readonly validTo: string; readonly serialNumber: string };
  readonly files: { readonly cert: string; readonly key: string };
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new CommandFailure(`cannot read ${what} ${path}: ${messageOf(error)}`);
  }
}

/**
 * A new key and certificate over the device's current TLS identity: the new CSR goes to
 * the centre with the current certificate and a signature by the current key (the
 * centre cannot see the TLS client certificate through the broker). The new certificate
 * must chain to the CA the terminal already trusts. The key is replaced first, then the
 * certificate, each atomically.
 */
export async function rotateCertificate(options: {
  config: AgentConfig;
  algorithm: KeyAlgorithm;
  owner: FileOwner | undefined;
  timeoutMs: number;
}): Promise<RotationResult> {
  const { config } = options;
  const tls = config.mqtt.tls;
  if (tls === undefined)
    throw new CommandFailure("mqtt.tls is not set: this terminal has not enrolled yet ('enrol')");
  const [caPem, certPem, keyPem] = await Promise.all([
    readPem(tls.ca, "the CA certificate"),
    readPem(tls.cert, "the device certificate"),
    readPem(tls.key, "the device key"),
  ]);
  const deviceId = config.device.id;
  const newKeyPem = generateDeviceKey(options.algorithm);
  const csrPem = await buildCsr(newKeyPem, deviceId);
  const requestId = newRequestId();
  const currentKey = createPrivateKey(keyPem);
  const proof = sign(
    currentKey.asymmetricKeyType === "ed25519" ? null : "sha256",
    renewalProofInput(requestId, csrPem),
    currentKey,
  ).toString("base64");
  const prefix = config.mqtt.topicPrefix;
  let issued;
  try {
    issued = await exchangeWithCentre({
      url: config.mqtt.url,
      connect: { ca: caPem, cert: certPem, key: keyPem },
      requestTopic: enrolTopics.renewRequest(prefix, deviceId),
      responseTopic: enrolTopics.renewResponse(prefix, deviceId),
      request: {
        version: ENROLMENT_VERSION,
        kind: "renew",
        requestId,
        deviceId,
        csrPem,
        certPem,
        proof,
      },
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw new CommandFailure(`certificate rotation failed: ${messageOf(error)}`);
  }
  const certificate = verifyIssued(
    { ...issued, caPem },
    newKeyPem,
    deviceId,
    certificateSha256(caPem),
  );
  await writePrivateKey(tls.key, newKeyPem, options.owner);
  await writePublicFile(tls.cert, issued.certPem, options.owner);
  return { deviceId, certificate, files: { cert: tls.cert, key: tls.key } };
}

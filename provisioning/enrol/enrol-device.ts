import { readFile } from "node:fs/promises";
import { EXIT } from "../../agent/cli-support/cli.js";
import { describeZodIssues } from "../../agent/cli-support/json-file.js";
import { CommandFailure, messageOf } from "../../agent/cli-support/command-io.js";
import { readConfigFile, writeConfigFile } from "../config-file.js";
import type { FileOwner } from "../file-owner.js";
import { checkIssuedCredential } from "../identity/certificate-check.js";
import type { KeyAlgorithm } from "../identity/device-key.js";
import { prepareIdentity, removeFile, writePublicFile } from "../identity/identity-store.js";
import { identityFiles, type ProvisionPaths } from "../paths.js";
import { exchangeWithCentre, newRequestId, type IssuedCredential } from "./certificate-request.js";
import {
  bootstrapCredentialSchema,
  ENROLMENT_VERSION,
  enrolTopics,
  type BootstrapCredential,
} from "./enrolment-messages.js";

export interface EnrolOptions {
  readonly paths: ProvisionPaths;
  /** The bootstrap credential file; by default bootstrap.json in the PKI folder. */
  readonly bootstrapFile?: string | undefined;
  readonly algorithm: KeyAlgorithm;
  readonly owner: FileOwner | undefined;
  readonly timeoutMs: number;
}

export interface EnrolResult {
  readonly deviceId: string;
  readonly brokerUrl: string;
  readonly certificate: { readonly validTo: string; readonly serialNumber: string };
  readonly files: { cert: string; key: string; ca: string; commandKey: string };
  readonly newKey: boolean;
}

async function readBootstrap(path: string): Promise<BootstrapCredential> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CommandFailure(
      code === "ENOENT"
        ? `no bootstrap credential at ${path}; copy the claim file from the centre there or pass --bootstrap FILE`
        : `cannot read the bootstrap credential ${path}: ${messageOf(error)}`,
      EXIT.config,
    );
  }
  const parsed = bootstrapCredentialSchema.safeParse(json);
  if (!parsed.success)
    throw new CommandFailure(
      `${path}: invalid bootstrap credential\n${describeZodIssues(parsed.error.issues)
        .map((line) => `  - ${line}`)
        .join("\n")}`,
      EXIT.config,
    );
  return parsed.data;
}

/**
 * First enrolment by claim: make (or reuse) the device key, send its CSR with the claim
 * token, check what comes back, store it, point the configuration at the device's own
 * identity, and delete the bootstrap credential.
 */
export async function enrolDevice(options: EnrolOptions): Promise<EnrolResult> {
  const files = identityFiles(options.paths);
  const bootstrapPath = options.bootstrapFile ?? files.bootstrap;
  const { input, config } = await readConfigFile(options.paths.config);
  const bootstrap = await readBootstrap(bootstrapPath);
  const deviceId = config.device.id;
  if (Date.parse(bootstrap.expiresAt) < Date.now())
    throw new CommandFailure(
      `the bootstrap credential expired at ${bootstrap.expiresAt}; ask the centre for a new claim`,
    );
  if (bootstrap.deviceId !== undefined && bootstrap.deviceId !== deviceId)
    throw new CommandFailure(
      `the bootstrap credential is for device ${bootstrap.deviceId}, but this terminal is ${deviceId} (device.id)`,
    );

  const identity = await prepareIdentity({
    files,
    deviceId,
    algorithm: options.algorithm,
    owner: options.owner,
  });
  const requestId = newRequestId();
  let issued: IssuedCredential;
  try {
    issued = await exchangeWithCentre({
      url: bootstrap.brokerUrl,
      connect: {
        ...(bootstrap.bootstrapCaPem === undefined ? {} : { ca: bootstrap.bootstrapCaPem }),
        ...(bootstrap.username === undefined ? {} : { username: bootstrap.username }),
        ...(bootstrap.password === undefined ? {} : { password: bootstrap.password }),
      },
      requestTopic: enrolTopics.claimRequest(bootstrap.topicPrefix, bootstrap.claimId),
      responseTopic: enrolTopics.claimResponse(bootstrap.topicPrefix, bootstrap.claimId),
      request: {
        version: ENROLMENT_VERSION,
        kind: "claim",
        requestId,
        deviceId,
        token: bootstrap.token,
        csrPem: identity.csrPem,
      },
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw new CommandFailure(`enrolment failed: ${messageOf(error)}`);
  }
  const certificate = verifyIssued(issued, identity.keyPem, deviceId, bootstrap.caSha256);

  await writePublicFile(files.ca, issued.caPem, options.owner);
  await writePublicFile(files.commandKey, issued.commandKeyPem, options.owner);
  await writePublicFile(files.cert, issued.certPem, options.owner);
  await writeConfigFile(
    options.paths.config,
    {
      ...input,
      mqtt: {
        ...input.mqtt,
        url: bootstrap.deviceBrokerUrl,
        topicPrefix: bootstrap.topicPrefix,
        tls: { ca: files.ca, cert: files.cert, key: files.key },
      },
      // The centre's key replaces any other: commands from elsewhere are refused.
      commands: { ...input.commands, centreKeys: { [issued.commandKeyId]: files.commandKey } },
    },
    options.owner,
  );
  await removeFile(bootstrapPath);
  return {
    deviceId,
    brokerUrl: bootstrap.deviceBrokerUrl,
    certificate,
    files: { cert: files.cert, key: files.key, ca: files.ca, commandKey: files.commandKey },
    newKey: identity.newKey,
  };
}

/** The checks of checkIssuedCredential, as a command failure naming the one that failed. */
export function verifyIssued(
  issued: IssuedCredential,
  keyPem: string,
  deviceId: string,
  caSha256: string | undefined,
): { validTo: string; serialNumber: string } {
  try {
    return checkIssuedCredential({
      certPem: issued.certPem,
      caPem: issued.caPem,
      privateKeyPem: keyPem,
      deviceId,
      expectedCaSha256: caSha256,
    });
  } catch (error) {
    throw new CommandFailure(`refusing what the centre sent: ${messageOf(error)}`);
  }
}

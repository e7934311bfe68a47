import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFile, statfs } from "node:fs/promises";
import { promisify } from "node:util";
import mqtt from "mqtt";
import type { AgentConfig } from "../../agent/config/schema.js";
import { messageOf } from "../../agent/cli-support/command-io.js";
import { readQueueBacklog } from "../queue-backlog.js";
import type { CheckResult } from "./check-result.js";

const run = promisify(execFile);
const mib = (bytes: number): string => `${Math.round(bytes / 1024 ** 2)} MiB`;

/** Connects with the device's own certificate, as the agent will, and disconnects. */
export async function checkBroker(config: AgentConfig, timeoutMs: number): Promise<CheckResult> {
  const subject = `broker ${config.mqtt.url}`;
  const tls = config.mqtt.tls;
  if (tls === undefined)
    return {
      check: "broker",
      subject,
      status: "fail",
      detail: "no device identity (mqtt.tls): run 'enrol'",
    };
  let files: { ca: Buffer; cert: Buffer; key: Buffer };
  try {
    const [ca, cert, key] = await Promise.all([
      readFile(tls.ca),
      readFile(tls.cert),
      readFile(tls.key),
    ]);
    files = { ca, cert, key };
  } catch (error) {
    return {
      check: "broker",
      subject,
      status: "fail",
      detail: `cannot read the identity: ${messageOf(error)}`,
    };
  }
  // Its own client id, so a running agent's session is not taken over.
  const client = mqtt.connect(config.mqtt.url, {
    ...files,
    clientId: `basma-selftest-${config.device.id}`,
    protocolVersion: config.mqtt.protocolVersion,
    reconnectPeriod: 0,
    connectTimeout: timeoutMs,
    clean: true,
  });
  try {
    const outcome = await new Promise<string | undefined>((resolve) => {
      client.once("connect", () => resolve(undefined));
      client.once("error", (error) => resolve(error.message));
      client.once("close", () => resolve("the connection closed before the broker accepted it"));
    });
    return outcome === undefined
      ? {
          check: "broker",
          subject,
          status: "pass",
          detail: `connected as ${config.device.id} over TLS`,
        }
      : { check: "broker", subject, status: "fail", detail: outcome };
  } finally {
    await client.endAsync(true);
  }
}

/**
 * NTP synchronisation as systemd reports it. Where it cannot say (no systemd), at least
 * the clock must not be before the device certificate's start, or TLS would fail.
 */
export async function checkClock(config: AgentConfig): Promise<CheckResult> {
  const subject = "clock";
  try {
    const { stdout } = await run("timedatectl", ["show", "-p", "NTPSynchronized", "--value"], {
      timeout: 5_000,
    });
    const synced = stdout.trim() === "yes";
    return {
      check: "clock",
      subject,
      status: synced ? "pass" : "fail",
      detail: synced
        ? `NTP synchronised, ${new Date().toISOString()}`
        : "not synchronised by NTP (timedatectl); certificates and record times depend on it",
    };
  } catch {
    // No systemd to ask: fall through to what can be checked.
  }
  const cert = config.mqtt.tls?.cert;
  if (cert === undefined)
    return {
      check: "clock",
      subject,
      status: "skip",
      detail: "NTP state unknown (no timedatectl) and no certificate to compare with",
    };
  try {
    const certificate = new X509Certificate(await readFile(cert));
    const now = Date.now();
    const sane = now >= Date.parse(certificate.validFrom) && now <= Date.parse(certificate.validTo);
    return {
      check: "clock",
      subject,
      status: sane ? "pass" : "fail",
      detail: sane
        ? `NTP state unknown (no timedatectl); ${new Date(now).toISOString()} is within the certificate's validity`
        : `${new Date(now).toISOString()} is outside the certificate's validity (${certificate.validFrom} to ${certificate.validTo})`,
    };
  } catch (error) {
    return {
      check: "clock",
      subject,
      status: "fail",
      detail: `cannot read ${cert}: ${messageOf(error)}`,
    };
  }
}

/** Free space where the queue lives: at least twice the reserve, where the queue starts warning. */
export async function checkDisk(config: AgentConfig, stateDir: string): Promise<CheckResult> {
  const subject = `disk ${stateDir}`;
  try {
    const stats = await statfs(stateDir);
    const free = stats.bavail * stats.bsize;
    const needed = 2 * config.queue.reserveFreeBytes;
    return {
      check: "disk",
      subject,
      status: free >= needed ? "pass" : "fail",
      detail: `${mib(free)} free (needs ${mib(needed)}: twice queue.reserveFreeBytes)`,
    };
  } catch (error) {
    return { check: "disk", subject, status: "fail", detail: messageOf(error) };
  }
}

export function checkQueue(config: AgentConfig): CheckResult {
  const backlog = readQueueBacklog(config);
  const subject = `queue ${backlog.path}`;
  switch (backlog.state) {
    case "absent":
      return {
        check: "queue",
        subject,
        status: "pass",
        detail: "no queue yet; the agent creates it on first start",
      };
    case "unreadable":
      return { check: "queue", subject, status: "fail", detail: backlog.error };
    case "open": {
      const problems = [
        ...(backlog.health.level === "ok"
          ? []
          : [`${backlog.health.level}: ${backlog.health.reasons.join("; ")}`]),
        ...(backlog.chainVerified ? [] : ["the record chain does not verify"]),
      ];
      return {
        check: "queue",
        subject,
        status: problems.length === 0 ? "pass" : "fail",
        detail:
          problems.length === 0
            ? `healthy, ${backlog.stats.records} record(s) waiting, chain verified`
            : problems.join("; "),
      };
    }
  }
}

import { X509Certificate } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CentralStore } from "../../hardware-sim/central/central-store.js";
import { CommandSigner } from "../../hardware-sim/central/command-signer.js";
import { ReferenceCentral } from "../../hardware-sim/central/reference-central.js";
import { TestCertificateAuthority } from "../../hardware-sim/central/test-ca.js";
import { startSimulatedSensor, type SimulatedSensor } from "../../hardware-sim/simulated-sensor.js";
import { DEFAULT_TRAVELLER_TIMING, runTravellers } from "../../hardware-sim/travellers.js";
import { captureLog } from "../support/log-capture.js";
import { mosquittoPath } from "../../hardware-sim/broker/mosquitto.js";
import { startMosquittoTls, type RunningMosquittoTls } from "../support/mosquitto-tls.js";
import { runCompiledCli } from "../support/processes.js";
import { runProvision } from "../support/provision-cli.js";

/** Selftest leaves out the sensors and outputs where a run tests the identity, not the hardware. */
const SKIP_HARDWARE_CHECKS = ["--skip", "sensors", "--skip", "outputs"] as const;

describe.skipIf(mosquittoPath === undefined)("provisioning a terminal end to end", () => {
  let root: string;
  let ca: TestCertificateAuthority;
  let broker: RunningMosquittoTls;
  let central: ReferenceCentral;
  let store: CentralStore;
  let sensor: SimulatedSensor;
  const travellers = new AbortController();
  const cleanup: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "basma-provision-e2e-"));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    ca = await TestCertificateAuthority.create();
    const server = await ca.issueServer({ commonName: "localhost", ipAddresses: ["127.0.0.1"] });
    broker = await startMosquittoTls({ caPem: ca.certPem, server, plainListener: true });
    cleanup.push(() => broker.stop());
    const plainUrl = broker.plainUrl ?? "";
    // One reference centre, as a deployment has: it enrols terminals and takes their records.
    store = new CentralStore(join(root, "central.sqlite"));
    cleanup.push(() => {
      store.close();
      return Promise.resolve();
    });
    central = new ReferenceCentral({
      brokerUrl: plainUrl,
      topicPrefix: "basma",
      store,
      logger: captureLog().logger,
      certificateAuthority: ca,
      commandSigner: CommandSigner.generate("centre-e2e"),
    });
    await central.start();
    cleanup.push(() => central.stop());
    sensor = await startSimulatedSensor({ port: 0, model: "r503" });
    cleanup.push(() => sensor.close());
    void runTravellers(sensor.platen, {
      fingers: [2, 7],
      timing: { ...DEFAULT_TRAVELLER_TIMING, betweenTravellersMs: 500 },
      signal: travellers.signal,
      prints: "realistic",
    });
    cleanup.push(() => {
      travellers.abort();
      return Promise.resolve();
    });
  });

  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  const paths = () => ({
    config: join(root, "etc/basma/agent.json"),
    pki: join(root, "etc/basma/pki"),
    state: join(root, "var/lib/basma"),
  });

  it("init writes a valid configuration from a base file and options", async () => {
    const base = join(root, "base.json");
    await writeFile(
      base,
      JSON.stringify({
        gpio: {
          pins: {
            ledGreen: { line: 5 },
            ledRed: { line: 6 },
            buzzer: { line: 13 },
            gateRelay: { line: 17 },
          },
        },
        capture: { qualityThreshold: 20 },
        mqtt: { protocolVersion: 5 },
      }),
    );
    const run = await runProvision([
      "init",
      "--root",
      root,
      "--from",
      base,
      "--device-id",
      "gate-07",
      "--site",
      "lab",
      "--broker",
      broker.url,
      "--sensor",
      sensor.url,
      "--sensor-model",
      "r503",
      "--gpio",
      "simulated",
    ]);
    expect(run.stderr).not.toMatch(/invalid/);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect((await stat(paths().config)).mode & 0o777).toBe(0o640);
    const check = runCompiledCli("agent/cli.js", ["--config", paths().config, "--check-config"]);
    expect((await check.exited).code).toBe(0);
  });

  it("enrol gets a certificate with the one-time claim and switches to TLS", async () => {
    const claim = central.mintClaim({
      brokerUrl: broker.plainUrl ?? "",
      deviceBrokerUrl: broker.url,
      deviceId: "gate-07",
    });
    const claimFile = join(root, "claim.json");
    await writeFile(claimFile, JSON.stringify(claim), { mode: 0o600 });
    const run = await runProvision(["enrol", "--root", root, "--bootstrap", claimFile, "--json"]);
    expect(run.stderr).not.toMatch(/basma-provision [a-z-]+:/);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const certificate = new X509Certificate(await readFile(join(paths().pki, "device.pem")));
    expect(certificate.subject).toBe("CN=gate-07");
    expect((await stat(join(paths().pki, "device.key"))).mode & 0o777).toBe(0o600);
    await expect(access(claimFile)).rejects.toThrow(/ENOENT/);

    const reuse = join(root, "claim-again.json");
    await writeFile(reuse, JSON.stringify(claim));
    const again = await runProvision(["enrol", "--root", root, "--bootstrap", reuse]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the centre refused: this claim has already been used/);
  });

  it("selftest passes on the simulated sensor and gate, over TLS with the new identity", async () => {
    const run = await runProvision([
      "selftest",
      "--root",
      root,
      "--yes",
      "--json",
      "--finger-timeout",
      "60",
    ]);
    const report = JSON.parse(run.stdout) as {
      passed: boolean;
      results: { check: string; subject: string; status: string; detail: string }[];
    };
    const failures = report.results
      .filter((result) => result.status === "fail")
      .map((result) => `${result.subject}: ${result.detail}`);
    expect(failures).toEqual([]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const statuses: Record<string, string> = Object.fromEntries(
      report.results.map((r) => [r.subject.split(" ")[0] ?? "", r.status]),
    );
    expect(statuses).toMatchObject({ sensor: "pass", broker: "pass", disk: "pass", queue: "pass" });
    expect(report.results.filter((r) => r.check === "outputs").map((r) => r.status)).toEqual([
      "pass",
      "pass",
      "pass",
      "pass",
    ]);
  });

  it("selftest fails, exit 1, when the broker refuses the identity", async () => {
    const other = await TestCertificateAuthority.create({ commonName: "Not the centre" });
    const stranger = await other.issueClient("gate-07");
    const config = JSON.parse(await readFile(paths().config, "utf8")) as {
      mqtt: { tls: { cert: string; key: string } };
    };
    const strangerDir = join(root, "stranger");
    await mkdir(strangerDir);
    await writeFile(join(strangerDir, "cert.pem"), stranger.certPem);
    await writeFile(join(strangerDir, "key.pem"), stranger.keyPem);
    const strangerConfig = join(root, "stranger.json");
    await writeFile(
      strangerConfig,
      JSON.stringify({
        ...config,
        mqtt: {
          ...config.mqtt,
          tls: {
            ...config.mqtt.tls,
            cert: join(strangerDir, "cert.pem"),
            key: join(strangerDir, "key.pem"),
          },
        },
      }),
    );
    const run = await runProvision([
      "selftest",
      "--config",
      strangerConfig,
      "--root",
      root,
      ...SKIP_HARDWARE_CHECKS,
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(1);
    expect(run.stdout).toMatch(/^FAIL\s+broker mqtts:\/\/127\.0\.0\.1:\d+\s+\S/m);
    expect(run.stdout).toMatch(/checks FAILED/);
  });

  it("the agent starts with the new identity and its records reach the centre over TLS", async () => {
    const agent = runCompiledCli("agent/cli.js", ["--config", paths().config]);
    try {
      const stored = await new Promise<{ deviceId: string }>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`nothing stored; agent stderr: ${agent.stderr()}`)),
          90_000,
        );
        central.once("stored", (event) => {
          clearTimeout(timer);
          resolve(event);
        });
      });
      expect(stored.deviceId).toBe("gate-07");
      // Its own certificate, over TLS: the only way in on this broker's TLS listener.
      expect(
        agent.lines.some(
          (line) =>
            line["msg"] === "connected to broker" && String(line["url"]).startsWith("mqtts://"),
        ),
      ).toBe(true);
    } finally {
      agent.child.kill("SIGTERM");
      await agent.exited;
    }
  });

  it("rotate-cert replaces the key and certificate over the current identity", async () => {
    const before = await readFile(join(paths().pki, "device.key"), "utf8");
    const oldSerial = new X509Certificate(await readFile(join(paths().pki, "device.pem")))
      .serialNumber;
    const run = await runProvision(["rotate-cert", "--root", root, "--json"]);
    expect(run.stderr).not.toMatch(/basma-provision [a-z-]+:/);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const after = await readFile(join(paths().pki, "device.key"), "utf8");
    const certificate = new X509Certificate(await readFile(join(paths().pki, "device.pem")));
    expect(after).not.toBe(before);
    expect(certificate.serialNumber).not.toBe(oldSerial);
    const selftest = await runProvision(["selftest", "--root", root, ...SKIP_HARDWARE_CHECKS]);
    expect(selftest.stdout).toMatch(/^PASS\s+broker/m);
  });

  it("decommission wipes keys and queue once nothing waits", async () => {
    const run = await runProvision(["decommission", "--root", root, "--yes", "--json"]);
    expect(run.stderr).not.toMatch(/basma-provision [a-z-]+:/);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    for (const name of ["device.key", "device.pem", "ca.pem", "command-key.pem"])
      await expect(access(join(paths().pki, name))).rejects.toThrow(/ENOENT/);
    await expect(access(join(paths().state, "queue.sqlite"))).rejects.toThrow(/ENOENT/);
    await expect(access(join(paths().state, "device-key"))).rejects.toThrow(/ENOENT/);
  });
});

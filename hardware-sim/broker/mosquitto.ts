import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

const CANDIDATES = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"];

/** The Mosquitto binary from apt, if installed (test/install-test-tools.sh installs it). */
export const mosquittoPath: string | undefined = CANDIDATES.find((path) => existsSync(path));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export interface RunningMosquitto {
  readonly url: string;
  stop(): Promise<void>;
}

export interface MosquittoTls {
  readonly caPem: string;
  /** The broker's own certificate and key (PEM). */
  readonly certPem: string;
  readonly keyPem: string;
  /** Refuse clients without a certificate from the CA (mutual TLS); default true. */
  readonly requireCertificate?: boolean | undefined;
}

export interface MosquittoOptions {
  /** A free port unless given: a restart takes the same port again. */
  readonly port?: number;
  /**
   * Mutual TLS: clients need a certificate from the CA, and the certificate's common
   * name becomes their MQTT user name (what the ACL's %u stands for).
   */
  readonly tls?: MosquittoTls;
  /** The text of a Mosquitto ACL file; everything is allowed without one. */
  readonly acl?: string;
  /**
   * Also an anonymous plain-TCP listener on another loopback port (where a centre or an
   * enrolling terminal without a certificate yet connects in tests).
   */
  readonly plainListener?: boolean | undefined;
  /**
   * Keep sessions, subscriptions and queued messages across a restart (saved in `dir` on
   * shutdown), as a production broker does; without it a restart forgets everything.
   */
  readonly persistence?: { readonly dir: string } | undefined;
}

export interface StartedMosquitto extends RunningMosquitto {
  readonly port: number;
  /** mqtt:// URL of the plain listener, when asked for. */
  readonly plainUrl: string | undefined;
}

/**
 * A real Mosquitto on loopback, without persistence: the second, independent broker
 * that tests and benchmarks run against, plain or with mutual TLS and per-device ACLs.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<StartedMosquitto> {
  if (mosquittoPath === undefined)
    throw new Error("mosquitto is not installed (bash test/install-test-tools.sh installs it)");
  const port = options.port ?? (await freePort());
  const plainPort = options.plainListener === true ? await freePort() : undefined;
  const dir = mkdtempSync(join(tmpdir(), "basma-mosquitto-"));
  const conf = join(dir, "mosquitto.conf");
  const lines = [
    // As root, Mosquitto would switch to its own user, who cannot read this 0700 folder.
    ...(userInfo().uid === 0 ? [`user ${userInfo().username}`] : []),
    ...(options.persistence === undefined
      ? ["persistence false"]
      : ["persistence true", `persistence_location ${options.persistence.dir}/`]),
    "log_dest none",
    "max_inflight_messages 0",
    "max_queued_messages 100000",
    // Each listener's own authentication and ACL, so the plain one cannot weaken the TLS one.
    "per_listener_settings true",
    `listener ${port} 127.0.0.1`,
  ];
  const { tls, acl } = options;
  if (tls === undefined) lines.push("allow_anonymous true");
  else {
    const file = (name: string, text: string): string => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };
    lines.push(
      `cafile ${file("ca.pem", tls.caPem)}`,
      `certfile ${file("server.pem", tls.certPem)}`,
      `keyfile ${file("server.key", tls.keyPem)}`,
      `require_certificate ${tls.requireCertificate ?? true}`,
      `use_identity_as_username ${tls.requireCertificate ?? true}`,
      ...(tls.requireCertificate === false ? ["allow_anonymous true"] : []),
    );
  }
  if (acl !== undefined) {
    const path = join(dir, "acl");
    writeFileSync(path, acl, { mode: 0o600 });
    lines.push(`acl_file ${path}`);
  }
  if (plainPort !== undefined)
    lines.push(`listener ${plainPort} 127.0.0.1`, "allow_anonymous true");
  writeFileSync(conf, `${lines.join("\n")}\n`);
  const child: ChildProcess = spawn(mosquittoPath, ["-c", conf], { stdio: "ignore" });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port)) || (plainPort !== undefined && !(await accepts(plainPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`mosquitto did not start listening on port ${port}`);
    }
    await sleep(50);
  }
  return {
    url: `${tls === undefined ? "mqtt" : "mqtts"}://127.0.0.1:${port}`,
    port,
    plainUrl: plainPort === undefined ? undefined : `mqtt://127.0.0.1:${plainPort}`,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Per-device access for a broker whose user names are certificate common names: each
 * terminal may publish and subscribe only under its own device topics, in the right
 * direction; the centre's user may do everything.
 */
export function deviceAcl(topicPrefix: string, centreUser: string): string {
  const device = `${topicPrefix}/devices/%u`;
  return [
    `pattern write ${device}/records`,
    `pattern write ${device}/status`,
    `pattern write ${device}/telemetry`,
    `pattern write ${device}/commands/results`,
    `pattern write ${device}/config/reported`,
    `pattern read ${device}/acks`,
    `pattern read ${device}/commands`,
    `pattern read ${device}/config/desired`,
    "",
    `user ${centreUser}`,
    `topic readwrite ${topicPrefix}/#`,
    "",
  ].join("\n");
}

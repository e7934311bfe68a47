import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import type { PemCredential } from "../../hardware-sim/central/test-ca.js";
import { freePort, mosquittoPath, type RunningMosquitto } from "./mosquitto.js";
import { waitFor } from "./wait.js";

export interface MosquittoTlsOptions {
  /** PEM of the CA that client certificates must chain to. */
  readonly caPem: string;
  /** The broker's own certificate and key. */
  readonly server: PemCredential;
  /** Refuse clients without a certificate from the CA (mutual TLS). Default true. */
  readonly requireCertificate?: boolean;
  /** Also accept anonymous plain-TCP clients on a second loopback port. */
  readonly plainListener?: boolean;
}

export interface RunningMosquittoTls extends RunningMosquitto {
  /** mqtts:// URL of the TLS listener. */
  readonly url: string;
  /** mqtt:// URL of the plain listener, when asked for. */
  readonly plainUrl: string | undefined;
  /** The folder holding the broker's config and PEM files. */
  readonly dir: string;
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

/**
 * A real Mosquitto (OpenSSL) with a TLS listener on a free loopback port, requiring
 * client certificates from the given CA and using the certificate's common name as the
 * MQTT username. No persistence.
 */
export async function startMosquittoTls(
  options: MosquittoTlsOptions,
): Promise<RunningMosquittoTls> {
  if (mosquittoPath === undefined) throw new Error("mosquitto is not installed");
  const dir = mkdtempSync(join(tmpdir(), "basma-mosquitto-tls-"));
  const files = {
    ca: join(dir, "ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
  };
  writeFileSync(files.ca, options.caPem);
  writeFileSync(files.cert, options.server.certPem);
  writeFileSync(files.key, options.server.keyPem, { mode: 0o600 });
  const requireCertificate = options.requireCertificate ?? true;
  const tlsPort = await freePort();
  const plainPort = options.plainListener === true ? await freePort() : undefined;
  const lines = [
    "per_listener_settings true",
    // Run as root, Mosquitto would switch to its own user, which cannot read this 0700 folder.
    `user ${userInfo().username}`,
    "persistence false",
    "log_dest stderr",
    "log_type error",
    `listener ${tlsPort} 127.0.0.1`,
    `cafile ${files.ca}`,
    `certfile ${files.cert}`,
    `keyfile ${files.key}`,
    `require_certificate ${requireCertificate}`,
    `use_identity_as_username ${requireCertificate}`,
    "allow_anonymous true",
    ...(plainPort === undefined ? [] : [`listener ${plainPort} 127.0.0.1`, "allow_anonymous true"]),
  ];
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(conf, `${lines.join("\n")}\n`);
  const child: ChildProcess = spawn(mosquittoPath, ["-c", conf], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  await waitFor("mosquitto (TLS) to listen", () => accepts(tlsPort), 10_000, 50).catch(
    (error: unknown) => {
      child.kill("SIGKILL");
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${errors}`);
    },
  );
  if (plainPort !== undefined) {
    await waitFor("mosquitto (plain) to listen", () => accepts(plainPort), 10_000, 50);
  }
  return {
    url: `mqtts://127.0.0.1:${tlsPort}`,
    plainUrl: plainPort === undefined ? undefined : `mqtt://127.0.0.1:${plainPort}`,
    dir,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

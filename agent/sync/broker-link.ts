import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { AgentConfig } from "../config/schema.js";
import type { Logger } from "../log/logger.js";
import { ReconnectBackoff, type BackoffPolicy } from "./reconnect-backoff.js";

export interface LastWill {
  readonly topic: string;
  /** Built at each connection attempt, so the will carries the time it was armed. */
  readonly payload: () => Buffer;
}

export interface BrokerLinkOptions {
  readonly mqtt: AgentConfig["mqtt"];
  readonly clientId: string;
  readonly will: LastWill;
  readonly logger: Logger;
  readonly backoff?: BackoffPolicy | undefined;
  /** Tests pin the jitter. */
  readonly random?: (() => number) | undefined;
}

export type InboundHandler = (payload: Buffer, topic: string) => void;

/** MQTT 3.1.1 CONNACK code 1 and MQTT 5 reason 0x84: the broker does not speak our version. */
const UNSUPPORTED_PROTOCOL_CODES = new Set([1, 0x84]);
/** How long the broker keeps our session (subscriptions, queued acks) while we are away. */
const SESSION_EXPIRY_SECONDS = 7 * 24 * 3_600;

/**
 * One logical connection to the broker over many TCP connections: TLS, the last will,
 * the persistent session, inbound routing, and reconnection with full-jitter backoff.
 * Each attempt uses a fresh client: nothing half-sent on a dead socket is replayed by
 * the library, because delivery is confirmed end to end by the layers above.
 */
export class BrokerLink {
  readonly #options: BrokerLinkOptions;
  readonly #log: Logger;
  readonly #backoff: ReconnectBackoff;
  readonly #handlers = new Map<string, InboundHandler>();
  readonly #upListeners = new Set<() => void>();
  readonly #downListeners = new Set<() => void>();
  #client: MqttClient | undefined;
  #protocolVersion: 4 | 5;
  #connectedAt: number | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = true;
  #connections = 0;
  #lastWarning = "";

  constructor(options: BrokerLinkOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#backoff = new ReconnectBackoff(options.backoff, options.random);
    this.#protocolVersion = options.mqtt.protocolVersion;
  }

  get connected(): boolean {
    return this.#connectedAt !== undefined && this.#client?.connected === true;
  }

  /** The MQTT version in use: the configured one, or 4 after a broker refused 5. */
  get protocolVersion(): 4 | 5 {
    return this.#protocolVersion;
  }

  /** Successful connections since start, the first one included. */
  get connections(): number {
    return this.#connections;
  }

  /** Routes messages on `topic` (exact, no wildcards) to handler; subscribed on every connection. */
  route(topic: string, handler: InboundHandler): void {
    this.#handlers.set(topic, handler);
    if (this.connected) this.#subscribe([topic]);
  }

  onUp(listener: () => void): void {
    this.#upListeners.add(listener);
  }

  onDown(listener: () => void): void {
    this.#downListeners.add(listener);
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#connect();
  }

  /** Resolves when the broker has the message (PUBACK for QoS 1); rejects when not connected. */
  async publish(
    topic: string,
    payload: Uint8Array,
    options: { qos: 0 | 1; retain?: boolean },
  ): Promise<void> {
    const client = this.#client;
    if (client === undefined || !this.connected) throw new Error("not connected to the broker");
    await client.publishAsync(topic, bufferOf(payload), {
      qos: options.qos,
      retain: options.retain ?? false,
    });
  }

  /** Ends the connection; with `farewell`, publishes it (retained QoS 1) first, best effort. */
  async stop(farewell?: { topic: string; payload: Buffer }): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    if (farewell !== undefined && client.connected) {
      await client
        .publishAsync(farewell.topic, farewell.payload, { qos: 1, retain: true })
        .catch(() => undefined);
    }
    await client.endAsync().catch(() => undefined);
  }

  /** Drops the current connection without the last will's delay, as a cut link would (tests, resync). */
  dropConnection(): void {
    this.#client?.stream.destroy();
  }

  #connect(): void {
    const { mqtt: config, clientId, will } = this.#options;
    const clientOptions: IClientOptions = {
      clientId,
      protocolVersion: this.#protocolVersion,
      clean: false,
      ...(this.#protocolVersion === 5 && {
        properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
      }),
      keepalive: config.keepaliveSeconds,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      // mqtt-packet's default caches a Buffer for every packet id: 65,536 objects that
      // every full garbage collection walks, and 6 MiB of heap, to save a 2-byte write.
      writeCache: false,
      will: { topic: will.topic, payload: will.payload(), qos: 1, retain: true },
      ...(config.tls && {
        ca: readFileSync(config.tls.ca),
        cert: readFileSync(config.tls.cert),
        key: readFileSync(config.tls.key),
        rejectUnauthorized: true,
      }),
    };
    const client = mqtt.connect(config.url, clientOptions);
    this.#client = client;
    let refusedVersion = false;

    client.on("connect", () => {
      this.#connectedAt = Date.now();
      this.#connections += 1;
      this.#lastWarning = "";
      this.#log.info(
        {
          url: redactUrl(config.url),
          protocolVersion: this.#protocolVersion,
          connection: this.#connections,
        },
        "connected to broker",
      );
      this.#subscribe([...this.#handlers.keys()]);
      for (const listener of this.#upListeners) listener();
    });
    client.on("message", (topic, payload) => {
      const handler = this.#handlers.get(topic);
      if (handler === undefined) return;
      try {
        handler(payload, topic);
      } catch (error) {
        // A handler's bug must not take the connection (and every other topic) down.
        this.#log.error({ err: error, topic }, "inbound message handler failed");
      }
    });
    client.on("error", (error) => {
      const code = (error as { code?: unknown }).code;
      if (
        this.#protocolVersion === 5 &&
        typeof code === "number" &&
        UNSUPPORTED_PROTOCOL_CODES.has(code)
      ) {
        refusedVersion = true;
        return;
      }
      this.#warnOnce(error.message, error);
    });
    client.on("close", () => {
      if (this.#client !== client) return;
      const wasUp = this.#connectedAt !== undefined;
      if (wasUp) {
        this.#backoff.connectionEnded(Date.now() - (this.#connectedAt ?? Date.now()));
        this.#connectedAt = undefined;
        for (const listener of this.#downListeners) listener();
      }
      client.removeAllListeners("connect");
      client.end(true);
      if (this.#stopped) return;
      if (refusedVersion) {
        this.#log.warn("broker refused MQTT 5; falling back to MQTT 3.1.1");
        this.#protocolVersion = 4;
        this.#connect();
        return;
      }
      const delay = this.#backoff.nextDelayMs();
      if (wasUp)
        this.#log.warn({ retryInMs: delay }, "broker connection lost; records stay queued");
      else this.#log.debug({ retryInMs: delay }, "broker not reachable; retrying");
      this.#retry = setTimeout(() => {
        this.#connect();
      }, delay);
      this.#retry.unref();
    });
  }

  #subscribe(topics: readonly string[]): void {
    if (topics.length === 0) return;
    this.#client?.subscribe([...topics], { qos: 1 }, (error, granted) => {
      if (error) {
        this.#log.error({ err: error, topics }, "cannot subscribe");
        return;
      }
      // A broker ACL refusing a subscription grants 0x80 (3.1.1) or a reason code >= 0x80 (5).
      const refused = (granted ?? []).filter((grant) => grant.qos >= 0x80).map((g) => g.topic);
      if (refused.length > 0)
        this.#log.error({ topics: refused }, "broker refused the subscription (check its ACL)");
    });
  }

  /** The same failure every few seconds for days must not flood the journal. */
  #warnOnce(message: string, error: Error): void {
    if (message === this.#lastWarning) {
      this.#log.debug({ err: error }, "mqtt error (repeated)");
      return;
    }
    this.#lastWarning = message;
    this.#log.warn({ err: error }, "mqtt error");
  }
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Credentials in a broker URL must not reach the logs. */
export function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../log/logger.js";
import type { AgentConfig } from "../config/schema.js";
import type { Outbox } from "../queue/outbox.js";
import { deviceTopics, type Topics } from "./topics.js";
import { decodeAck, encodeRecordMessage, encodeStatus, WireError } from "./wire.js";

export interface RecordSyncOptions {
  readonly mqtt: AgentConfig["mqtt"];
  readonly deviceId: string;
  readonly outbox: Outbox;
  readonly logger: Logger;
  readonly agentVersion: string;
  /** A record published this long ago without an acknowledgement is sent again. */
  readonly ackTimeoutMs?: number;
  /** Called after each record the centre acknowledged is deleted (room in the queue again). */
  readonly onAcknowledged?: ((id: string) => void) | undefined;
}

/**
 * Sends queued records to the centre and deletes each one only when the centre's
 * own acknowledgement for its id arrives: a PUBACK proves only that the broker has
 * it, not that the centre stored it.
 */
export class RecordSync {
  readonly #options: RecordSyncOptions;
  readonly #topics: Topics;
  readonly #log: Logger;
  /** Record id to the time it was last published. */
  readonly #inFlight = new Map<string, number>();
  readonly #ackTimeoutMs: number;
  #client: MqttClient | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: RecordSyncOptions) {
    this.#options = options;
    this.#topics = deviceTopics(options.mqtt.topicPrefix, options.deviceId);
    this.#log = options.logger.child({ component: "sync" });
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 60_000;
  }

  start(): void {
    const { mqtt: config, deviceId, agentVersion } = this.#options;
    const clientOptions: IClientOptions = {
      clientId: config.clientId ?? `basma-${deviceId}`,
      protocolVersion: config.protocolVersion,
      // A persistent session keeps our ack subscription while we are away.
      clean: false,
      keepalive: config.keepaliveSeconds,
      reconnectPeriod: 2_000,
      connectTimeout: 10_000,
      will: {
        topic: this.#topics.status,
        payload: encodeStatus({
          v: 1,
          state: "offline",
          at: new Date().toISOString(),
          version: agentVersion,
        }),
        qos: 1,
        retain: true,
      },
      ...(config.tls && {
        ca: readFileSync(config.tls.ca),
        cert: readFileSync(config.tls.cert),
        key: readFileSync(config.tls.key),
        rejectUnauthorized: true,
      }),
    };
    const client = mqtt.connect(config.url, clientOptions);
    this.#client = client;
    let connectedOnce = false;

    client.on("connect", () => {
      this.#log.info({ url: redactUrl(config.url), resumed: connectedOnce }, "connected to broker");
      connectedOnce = true;
      // Whatever was in flight over the old connection may never have arrived.
      this.#inFlight.clear();
      this.#options.outbox.release();
      client.subscribe(this.#topics.acks, { qos: 1 }, (error) => {
        if (error) this.#log.error({ err: error }, "cannot subscribe to acknowledgements");
      });
      client.publish(
        this.#topics.status,
        encodeStatus({
          v: 1,
          state: "online",
          at: new Date().toISOString(),
          version: agentVersion,
        }),
        { qos: 1, retain: true },
      );
      this.pump();
    });
    client.on("message", (topic, payload) => {
      if (topic === this.#topics.acks) this.#onAck(payload);
    });
    client.on("offline", () => {
      this.#log.warn(
        { pending: this.#options.outbox.stats().records },
        "broker unreachable; records stay queued",
      );
    });
    client.on("error", (error) => {
      this.#log.warn({ err: error }, "mqtt error");
    });
    this.#sweep = setInterval(
      () => {
        this.#expireUnacknowledged();
      },
      Math.min(this.#ackTimeoutMs, 10_000),
    );
    this.#sweep.unref();
  }

  /** Publishes as many queued records as the in-flight window allows. */
  pump(): void {
    const client = this.#client;
    if (client?.connected !== true) return;
    const window = this.#options.mqtt.inFlightWindow;
    const free = window - this.#inFlight.size;
    if (free <= 0) return;
    // The lease outlives this process: a record taken by an agent that then crashed
    // is offered again once its lease runs out, even by a later agent.
    const candidates = this.#options.outbox.lease(free, this.#ackTimeoutMs);
    for (const record of candidates) {
      this.#inFlight.set(record.id, Date.now());
      const message = encodeRecordMessage(
        this.#options.deviceId,
        record,
        this.#options.outbox.signer,
      );
      client.publish(
        this.#topics.records,
        Buffer.from(message.buffer, message.byteOffset, message.byteLength),
        { qos: 1 },
        (error) => {
          if (error) {
            this.#inFlight.delete(record.id);
            this.#options.outbox.release([record.id]);
            this.#log.warn(
              { recordId: record.id, err: error },
              "record publish failed; will retry",
            );
            return;
          }
          this.#log.info(
            {
              event: "record-delivered",
              recordId: record.id,
              seq: record.seq,
              wireBytes: message.byteLength,
            },
            "record delivered to broker",
          );
        },
      );
    }
  }

  #onAck(payload: Buffer): void {
    let ack;
    try {
      ack = decodeAck(payload);
    } catch (error) {
      this.#log.warn(
        { reason: error instanceof WireError ? error.message : String(error) },
        "refused acknowledgement",
      );
      return;
    }
    this.#inFlight.delete(ack.id);
    if (!this.#options.outbox.acknowledge(ack.id)) {
      this.#log.debug(
        { recordId: ack.id },
        "acknowledgement for a record not queued (duplicate); ignored",
      );
      return;
    }
    this.#log.info(
      { event: "record-acknowledged", recordId: ack.id, seq: ack.seq },
      "record acknowledged by centre and deleted",
    );
    this.#options.onAcknowledged?.(ack.id);
    this.pump();
  }

  #expireUnacknowledged(): void {
    const cutoff = Date.now() - this.#ackTimeoutMs;
    const expired: string[] = [];
    for (const [id, sentAt] of this.#inFlight) {
      if (sentAt < cutoff) {
        this.#inFlight.delete(id);
        expired.push(id);
      }
    }
    if (expired.length > 0) {
      this.#options.outbox.release(expired);
      this.#log.warn({ expired: expired.length }, "no acknowledgement in time; sending again");
      this.pump();
    }
  }

  /** Says offline on the status topic, then disconnects. */
  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    if (client.connected) {
      await client
        .publishAsync(
          this.#topics.status,
          encodeStatus({
            v: 1,
            state: "offline",
            at: new Date().toISOString(),
            version: this.#options.agentVersion,
          }),
          { qos: 1, retain: true },
        )
        .catch(() => undefined);
    }
    await client.endAsync();
  }
}

/** Credentials in a broker URL must not reach the logs. */
function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

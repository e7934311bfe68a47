import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { Logger } from "../../agent/log/logger.js";
import { decodeCaptureRecord } from "../../agent/records/record-codec.js";
import {
  allDevicesTopic,
  allRecordsTopic,
  deviceIdFromRecordsTopic,
  deviceIdFromTopic,
  deviceTopics,
} from "../../agent/sync/topics.js";
import {
  decodeRecordMessage,
  decodeStatus,
  decodeTelemetry,
  encodeAck,
  MAX_REFUSAL_REASON,
  type RecordChainFields,
  type StatusMessage,
  type TelemetryMessage,
} from "../../agent/sync/wire.js";
import type { CentralStore } from "./central-store.js";
import {
  parseRequestTopic,
  type BootstrapCredential,
} from "../../provisioning/enrol/enrolment-messages.js";
import type { CommandSigner, CommandToSign } from "./command-signer.js";
import { EnrolmentIssuer, type ClaimOptions } from "./enrolment-issuer.js";
import type { TestCertificateAuthority } from "./test-ca.js";
import { chainFault, epochKey, observeChain, type ChainStart } from "./chain-check.js";

export interface ReferenceCentralOptions {
  readonly brokerUrl: string;
  readonly topicPrefix: string;
  readonly store: CentralStore;
  readonly logger: Logger;
  /** Mutual TLS: the centre's own client certificate and the CA that signed the broker's. */
  readonly tls?: { readonly ca: string; readonly cert: string; readonly key: string } | undefined;
  readonly behaviour?: Partial<CentralBehaviour> | undefined;
  /** Signs what the centre sends terminals; without it the centre sends no commands. */
  readonly commandSigner?: CommandSigner | undefined;
  /**
   * A persistent session under a fixed client id: records published while the centre is
   * reconnecting wait for it at the broker instead of waiting out the terminals' ack timeout.
   */
  readonly persistentSession?: boolean | undefined;
  /** Issues device certificates by claim (docs/enrolment.md); needs commandSigner too. */
  readonly certificateAuthority?: TestCertificateAuthority | undefined;
}

/** Misbehaviours to test the terminal against. */
export interface CentralBehaviour {
  /** Hold each acknowledgement this long after storing (a slow centre). */
  readonly ackDelayMs: number;
  /** Acknowledge every record this many times (duplicate deliveries downstream). */
  readonly ackCopies: number;
  /** Take records in, store nothing, acknowledge nothing (a centre-side outage). */
  readonly unavailable: boolean;
}

interface StoredOutcome {
  readonly id: string;
  readonly deviceId: string;
  readonly seq: number;
  readonly fingers: number;
  readonly duplicate: boolean;
}

/** A record the centre will never store, to be refused back to the device that sent it. */
interface RefusedRecord {
  readonly refused: string;
  readonly deviceId: string;
  readonly id: string;
  readonly seq: number;
}

const NORMAL: CentralBehaviour = { ackDelayMs: 0, ackCopies: 1, unavailable: false };

export interface CentralEvents {
  stored: [{ id: string; deviceId: string; seq: number; fingers: number; duplicate: boolean }];
  status: [{ deviceId: string; status: StatusMessage }];
  "command-result": [{ deviceId: string; result: unknown }];
  telemetry: [{ deviceId: string; telemetry: TelemetryMessage }];
  rejected: [{ topic: string; reason: string }];
  /** A record that does not follow its stored predecessor (or precede its successor). */
  "chain-break": [{ deviceId: string; seq: number; reason: string }];
  /** A new chain epoch (the device's queue was reset), with what it declares it follows. */
  "chain-restart": [{ deviceId: string; start: ChainStart }];
}

/**
 * The centre's side of the contract, for development and tests: store every valid
 * record, then acknowledge its id to the device that sent it.
 */
export class ReferenceCentral extends EventEmitter<CentralEvents> {
  readonly #options: ReferenceCentralOptions;
  readonly #statuses = new Map<string, StatusMessage>();
  readonly #inbox: { topic: string; payload: Buffer }[] = [];
  #behaviour: CentralBehaviour;
  #enrolment: EnrolmentIssuer | undefined;
  #client: MqttClient | undefined;
  #pendingAcks = new Set<NodeJS.Timeout>();

  constructor(options: ReferenceCentralOptions) {
    super();
    this.#options = options;
    this.#behaviour = { ...NORMAL, ...options.behaviour };
  }

  /** Changes how the centre (mis)behaves from now on. */
  behave(behaviour: Partial<CentralBehaviour>): void {
    this.#behaviour = { ...this.#behaviour, ...behaviour };
  }

  /** The last status each device published (retained ones arrive on subscribing). */
  status(deviceId: string): StatusMessage | undefined {
    return this.#statuses.get(deviceId);
  }

  /** The connected client, for the layers composed on top (commands, enrolment). */
  get client(): MqttClient {
    if (this.#client === undefined) throw new Error("the reference centre is not started");
    return this.#client;
  }

  async start(): Promise<void> {
    const { brokerUrl, topicPrefix, tls } = this.#options;
    const options: IClientOptions = {
      ...(this.#options.persistentSession === true
        ? { clientId: "basma-central", clean: false }
        : {
            clientId: `basma-central-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
            clean: true,
          }),
      reconnectPeriod: 1_000,
      // As the agent: no per-packet-id Buffer cache for the garbage collector to walk.
      writeCache: false,
      ...(tls && {
        ca: readFileSync(tls.ca),
        cert: readFileSync(tls.cert),
        key: readFileSync(tls.key),
        rejectUnauthorized: true,
      }),
    };
    const client = await mqtt.connectAsync(brokerUrl, options);
    this.#client = client;
    const subscriptions = [
      allRecordsTopic(topicPrefix),
      allDevicesTopic(topicPrefix, "status"),
      allDevicesTopic(topicPrefix, "telemetry"),
      allDevicesTopic(topicPrefix, "commands/results"),
    ];
    const { certificateAuthority, commandSigner } = this.#options;
    if (certificateAuthority !== undefined && commandSigner !== undefined) {
      this.#enrolment = new EnrolmentIssuer({
        ca: certificateAuthority,
        commandKeyPem: commandSigner.publicKeyPem(),
        commandKeyId: commandSigner.keyId,
        topicPrefix,
        logger: this.#options.logger,
        publish: async (topic, payload) => {
          await client.publishAsync(topic, payload, { qos: 1 });
        },
      });
      subscriptions.push(...this.#enrolment.subscriptions());
    }
    client.on("message", (topic, payload) => {
      if (this.#enrolment !== undefined && parseRequestTopic(topicPrefix, topic) !== undefined)
        void this.#enrolment.handle(topic, payload);
      else if (topic.endsWith("/records")) this.#receive(client, topic, payload);
      else if (topic.endsWith("/status")) this.#onStatus(topic, payload);
      else if (topic.endsWith("/telemetry")) this.#onTelemetry(topic, payload);
      else if (topic.endsWith("/commands/results")) this.#onCommandResult(topic, payload);
    });
    // After a broker restart the clean session has forgotten the subscriptions.
    client.on("connect", () => {
      client.subscribe(subscriptions, { qos: 1 });
    });
    await client.subscribeAsync(subscriptions, { qos: 1 });
  }

  #onStatus(topic: string, payload: Buffer): void {
    const deviceId = deviceIdFromTopic(this.#options.topicPrefix, topic, "status");
    if (deviceId === undefined || payload.length === 0) return;
    try {
      const status = decodeStatus(payload);
      this.#statuses.set(deviceId, status);
      this.emit("status", { deviceId, status });
    } catch (error) {
      this.emit("rejected", {
        topic,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** A one-time enrolment claim for one terminal (tests, field provisioning). */
  mintClaim(options: ClaimOptions): BootstrapCredential {
    if (this.#enrolment === undefined)
      throw new Error("this centre has no certificate authority to enrol terminals with");
    return this.#enrolment.mintClaim(options);
  }

  /** Signs a command for one terminal and publishes it; resolves with its id. */
  async sendCommand(
    deviceId: string,
    kind: CommandToSign["kind"],
    params: Record<string, unknown> = {},
  ): Promise<string> {
    const signer = this.#options.commandSigner;
    if (signer === undefined) throw new Error("this centre has no command key");
    const { commandId, message } = signer.signCommand({ deviceId, kind, params });
    await this.client.publishAsync(
      deviceTopics(this.#options.topicPrefix, deviceId).commands,
      message,
      { qos: 1 },
    );
    return commandId;
  }

  #onCommandResult(topic: string, payload: Buffer): void {
    const deviceId = deviceIdFromTopic(this.#options.topicPrefix, topic, "commands/results");
    if (deviceId === undefined) return;
    try {
      this.emit("command-result", { deviceId, result: JSON.parse(payload.toString("utf8")) });
    } catch {
      this.emit("rejected", { topic, reason: "command result is not JSON" });
    }
  }

  #onTelemetry(topic: string, payload: Buffer): void {
    const deviceId = deviceIdFromTopic(this.#options.topicPrefix, topic, "telemetry");
    if (deviceId === undefined) return;
    try {
      this.emit("telemetry", { deviceId, telemetry: decodeTelemetry(payload) });
    } catch (error) {
      this.emit("rejected", {
        topic,
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /**
   * Records arriving together are stored in one transaction, and only then
   * acknowledged: one fsync for a burst instead of one per record.
   */
  #receive(client: MqttClient, topic: string, payload: Buffer): void {
    this.#inbox.push({ topic, payload });
    if (this.#inbox.length > 1) return;
    setImmediate(() => {
      const batch = this.#inbox.splice(0);
      const outcomes = this.#options.store.batch(() =>
        batch.flatMap(({ topic: t, payload: p }) => this.#storeRecord(t, p) ?? []),
      );
      for (const outcome of outcomes) {
        if ("refused" in outcome) {
          this.#refuse(client, outcome);
          continue;
        }
        this.#acknowledge(client, outcome.deviceId, outcome.id, outcome.seq);
        this.emit("stored", outcome);
      }
    });
  }

  /**
   * Validates and stores one record message. A record that fails its checks is refused
   * back to the device that published it, when the message says which record it is: the
   * same bytes would fail again, so the device must stop sending them. Undefined when
   * there is no one to tell (no device in the topic, or not a record message at all).
   */
  #storeRecord(topic: string, payload: Buffer): StoredOutcome | RefusedRecord | undefined {
    const { topicPrefix, store, logger } = this.#options;
    const reject = (reason: string): void => {
      logger.warn({ topic, reason }, "central refused a record message");
      this.emit("rejected", { topic, reason });
    };
    if (this.#behaviour.unavailable) return undefined;
    const topicDevice = deviceIdFromRecordsTopic(topicPrefix, topic);
    if (topicDevice === undefined) {
      reject("topic does not name a device");
      return;
    }
    let message;
    try {
      message = decodeRecordMessage(payload);
    } catch (error) {
      reject(error instanceof Error ? error.message : String(error));
      return;
    }
    const refuse = (reason: string): RefusedRecord => {
      reject(`record ${message.id}: ${reason}`);
      return { refused: reason, deviceId: topicDevice, id: message.id, seq: message.seq };
    };
    let fingers: number;
    try {
      fingers = decodeCaptureRecord(message.payload).fingers.length;
    } catch (error) {
      return refuse(error instanceof Error ? error.message : String(error));
    }
    if (message.deviceId !== topicDevice)
      return refuse(`device ${message.deviceId} published on ${topicDevice}'s topic`);
    if (message.chain !== undefined) {
      const fault = chainFault({ ...message, chain: message.chain });
      if (fault !== undefined) return refuse(fault);
      this.#observeChain(message.deviceId, message.seq, message.chain);
      store.storeChainEntry({
        deviceId: message.deviceId,
        epoch: epochKey(message.chain.epoch),
        seq: message.seq,
        previousLink: message.chain.prev,
        link: message.chain.link,
        signer: message.chain.signer,
      });
    }
    // Store before acknowledging: an ack is the centre's promise that it holds the record.
    const isNew = store.store({
      id: message.id,
      deviceId: message.deviceId,
      seq: message.seq,
      createdAt: message.createdAt,
      fingers,
      payload: message.payload,
    });
    return {
      id: message.id,
      deviceId: message.deviceId,
      seq: message.seq,
      fingers,
      duplicate: !isNew,
    };
  }

  /**
   * Records may arrive out of order, so each is checked against whichever neighbour is
   * stored. A break is reported, never a reason to refuse: the record is still the
   * traveller's and must not be lost. A chain's first record says what it follows: a
   * queue restarted after a damaged file is a declared restart, not missing records.
   */
  #observeChain(deviceId: string, seq: number, chain: RecordChainFields): void {
    const { store, logger } = this.#options;
    const observed = observeChain(deviceId, { seq, chain }, store);
    for (const reason of observed.breaks) {
      logger.warn({ deviceId, seq, reason }, "device record chain broken");
      this.emit("chain-break", { deviceId, seq, reason });
    }
    if (observed.start !== undefined && observed.start.kind !== "first") {
      logger.warn(
        { event: "chain-restart", deviceId, epoch: epochKey(chain.epoch), follows: observed.start },
        "device began a new record chain (its queue was reset)",
      );
      this.emit("chain-restart", { deviceId, start: observed.start });
    }
  }

  /** Tells the device the record will never be stored, and why (no delay, one copy). */
  #refuse(client: MqttClient, { deviceId, id, seq, refused }: RefusedRecord): void {
    const reason =
      refused.length > MAX_REFUSAL_REASON
        ? `${refused.slice(0, MAX_REFUSAL_REASON - 1)}…`
        : refused;
    const ack = encodeAck({ v: 1, id, seq, status: "refused", reason });
    client.publish(deviceTopics(this.#options.topicPrefix, deviceId).acks, ack, { qos: 1 });
  }

  #acknowledge(client: MqttClient, deviceId: string, id: string, seq: number): void {
    const { ackDelayMs, ackCopies } = this.#behaviour;
    const send = (): void => {
      const ack = encodeAck({ v: 1, id, seq, status: "stored", at: new Date().toISOString() });
      const topic = deviceTopics(this.#options.topicPrefix, deviceId).acks;
      for (let copy = 0; copy < ackCopies; copy++) client.publish(topic, ack, { qos: 1 });
    };
    if (ackDelayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.#pendingAcks.delete(timer);
      send();
    }, ackDelayMs);
    this.#pendingAcks.add(timer);
  }

  async stop(): Promise<void> {
    for (const timer of this.#pendingAcks) clearTimeout(timer);
    this.#pendingAcks.clear();
    const client = this.#client;
    this.#client = undefined;
    await client?.endAsync();
  }
}

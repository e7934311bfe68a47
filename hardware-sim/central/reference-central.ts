import { EventEmitter } from "node:events";
import mqtt, { type MqttClient } from "mqtt";
import type { Logger } from "../../agent/log/logger.js";
import { decodeCaptureRecord } from "../../agent/records/record-codec.js";
import {
  allRecordsTopic,
  deviceIdFromRecordsTopic,
  deviceTopics,
} from "../../agent/sync/topics.js";
import { decodeRecordMessage, encodeAck } from "../../agent/sync/wire.js";
import type { CentralStore } from "./central-store.js";
import { chainFault } from "./chain-check.js";

export interface ReferenceCentralOptions {
  readonly brokerUrl: string;
  readonly topicPrefix: string;
  readonly store: CentralStore;
  readonly logger: Logger;
}

export interface CentralEvents {
  stored: [{ id: string; deviceId: string; seq: number; fingers: number; duplicate: boolean }];
  rejected: [{ topic: string; reason: string }];
  /** A record that does not follow its stored predecessor (or precede its successor). */
  "chain-break": [{ deviceId: string; seq: number; reason: string }];
}

/**
 * The centre's side of the contract, for development and tests: store every valid
 * record, then acknowledge its id to the device that sent it.
 */
export class ReferenceCentral extends EventEmitter<CentralEvents> {
  readonly #options: ReferenceCentralOptions;
  #client: MqttClient | undefined;

  constructor(options: ReferenceCentralOptions) {
    super();
    this.#options = options;
  }

  async start(): Promise<void> {
    const { brokerUrl, topicPrefix } = this.#options;
    const client = await mqtt.connectAsync(brokerUrl, {
      clientId: `basma-central-${process.pid}`,
      clean: true,
      reconnectPeriod: 1_000,
    });
    this.#client = client;
    client.on("message", (topic, payload) => {
      this.#onRecord(client, topic, payload);
    });
    await client.subscribeAsync(allRecordsTopic(topicPrefix), { qos: 1 });
  }

  #onRecord(client: MqttClient, topic: string, payload: Buffer): void {
    const { topicPrefix, store, logger } = this.#options;
    const reject = (reason: string): void => {
      logger.warn({ topic, reason }, "central refused a record message");
      this.emit("rejected", { topic, reason });
    };
    const topicDevice = deviceIdFromRecordsTopic(topicPrefix, topic);
    if (topicDevice === undefined) return reject("topic does not name a device");
    let fingers: number;
    let message;
    try {
      message = decodeRecordMessage(payload);
      fingers = decodeCaptureRecord(message.payload).fingers.length;
    } catch (error) {
      return reject(error instanceof Error ? error.message : String(error));
    }
    if (message.deviceId !== topicDevice)
      return reject(`device ${message.deviceId} published on ${topicDevice}'s topic`);
    if (message.chain !== undefined) {
      const fault = chainFault({ ...message, chain: message.chain });
      if (fault !== undefined) return reject(`record ${message.id}: ${fault}`);
      this.#checkNeighbours(message.deviceId, message.seq, message.chain);
      store.storeChainEntry({
        deviceId: message.deviceId,
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
    client.publish(
      deviceTopics(topicPrefix, message.deviceId).acks,
      encodeAck({ v: 1, id: message.id, seq: message.seq, status: "stored" }),
      { qos: 1 },
    );
    this.emit("stored", {
      id: message.id,
      deviceId: message.deviceId,
      seq: message.seq,
      fingers,
      duplicate: !isNew,
    });
  }

  /**
   * Records may arrive out of order, so each is checked against whichever neighbour
   * is already stored. A break is reported, never a reason to refuse: the record is
   * still the traveller's and must not be lost.
   */
  #checkNeighbours(
    deviceId: string,
    seq: number,
    chain: { prev: Uint8Array; link: Uint8Array; signer: Uint8Array },
  ): void {
    const { store, logger } = this.#options;
    const breakAt = (reason: string): void => {
      logger.warn({ deviceId, seq, reason }, "device record chain broken");
      this.emit("chain-break", { deviceId, seq, reason });
    };
    const before = store.chainEntry(deviceId, seq - 1);
    if (before !== undefined && !Buffer.from(before.link).equals(chain.prev))
      breakAt(`seq ${seq} does not follow the stored seq ${seq - 1}`);
    const after = store.chainEntry(deviceId, seq + 1);
    if (after !== undefined && !Buffer.from(after.previousLink).equals(chain.link))
      breakAt(`the stored seq ${seq + 1} does not follow seq ${seq}`);
    if (before !== undefined && !Buffer.from(before.signer).equals(chain.signer))
      breakAt(`seq ${seq} is signed by a different key than seq ${seq - 1}`);
  }

  async stop(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.endAsync();
  }
}

import type { Logger } from "../log/logger.js";
import type { Outbox, QueuedRecord } from "../queue/outbox.js";
import { BandwidthLimiter } from "./bandwidth-limiter.js";
import type { BrokerLink } from "./broker-link.js";
import type { CentreClock } from "./centre-clock.js";
import { RefusalLog } from "./refusal-log.js";
import type { SyncCounters } from "./sync-counters.js";
import type { Topics } from "./topics.js";
import { decodeAck, encodeRecordMessage, WireError } from "./wire.js";

export interface RecordSyncOptions {
  readonly link: BrokerLink;
  readonly topics: Topics;
  readonly deviceId: string;
  readonly outbox: Outbox;
  readonly logger: Logger;
  readonly counters: SyncCounters;
  readonly clock: CentreClock;
  /** Records published and not yet acknowledged by the centre, at most. */
  readonly inFlightWindow: number;
  /** A record published this long ago without an acknowledgement is sent again. */
  readonly ackTimeoutMs?: number | undefined;
  /** Average upstream byte rate for records; unlimited when absent. */
  readonly maxBytesPerSecond?: number | undefined;
  /** Called after each record the centre acknowledged is deleted (room in the queue again). */
  readonly onAcknowledged?: ((id: string) => void) | undefined;
}

interface InFlight {
  readonly sentAt: number;
  readonly seq: number;
}

/**
 * Sends queued records to the centre and deletes each one only when the centre's own
 * acknowledgement for its id arrives: a PUBACK proves only that the broker has it, not
 * that the centre stored it. Records captured since the link came up go ahead of the
 * backlog, so a traveller's record is not stuck behind days of queue; within each
 * group the oldest goes first.
 */
export class RecordSync {
  readonly #options: RecordSyncOptions;
  readonly #log: Logger;
  readonly #inFlight = new Map<string, InFlight>();
  /** Acks received this turn of the event loop, id to seq. */
  readonly #acks = new Map<string, number>();
  readonly #ackTimeoutMs: number;
  readonly #limiter: BandwidthLimiter | undefined;
  readonly #refusals: RefusalLog;
  /** Records with a higher seq were queued while connected: live, not backlog. */
  #liveAfterSeq = 0;
  #sweep: NodeJS.Timeout | undefined;
  #throttle: NodeJS.Timeout | undefined;

  constructor(options: RecordSyncOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 60_000;
    this.#limiter =
      options.maxBytesPerSecond === undefined
        ? undefined
        : new BandwidthLimiter(options.maxBytesPerSecond);
    this.#refusals = new RefusalLog(options.logger, "acknowledgement");
  }

  start(): void {
    const { link, topics } = this.#options;
    link.route(topics.acks, (payload) => {
      this.#onAck(payload);
    });
    link.onUp(() => {
      // Whatever was in flight over the old connection may never have arrived.
      this.#releaseInFlight();
      this.#liveAfterSeq = this.#options.outbox.stats().lastSeq;
      this.pump();
    });
    link.onDown(() => {
      this.#releaseInFlight();
    });
    this.#sweep = setInterval(
      () => {
        this.#expireUnacknowledged();
      },
      Math.min(this.#ackTimeoutMs, 10_000),
    );
    this.#sweep.unref();
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Publishes as many queued records as the window and the bandwidth cap allow. */
  pump(): void {
    const { link, outbox, inFlightWindow } = this.#options;
    if (!link.connected || this.#throttle !== undefined) return;
    while (this.#inFlight.size < inFlightWindow) {
      const wait = this.#limiter?.waitMs() ?? 0;
      if (wait > 0) {
        this.#throttle = setTimeout(() => {
          this.#throttle = undefined;
          this.pump();
        }, wait);
        this.#throttle.unref();
        return;
      }
      // Under a cap, one at a time, so nothing is leased that must then wait.
      const room = this.#limiter === undefined ? inFlightWindow - this.#inFlight.size : 1;
      // The lease outlives this process: a record taken by an agent that then crashed is
      // offered again once its lease runs out, even by a later agent.
      const records = outbox.lease(room, this.#ackTimeoutMs, { liveAfterSeq: this.#liveAfterSeq });
      if (records.length === 0) return;
      for (const record of records) this.#publish(record);
    }
  }

  #publish(record: QueuedRecord): void {
    const { link, topics, deviceId, outbox, counters } = this.#options;
    const message = encodeRecordMessage(deviceId, record, outbox.signer);
    // The callbacks keep only what they report: a closure over the record would hold its
    // opened payload until the broker's PUBACK.
    const { id, seq } = record;
    const wireBytes = message.byteLength;
    const attempt: InFlight = { sentAt: Date.now(), seq };
    this.#inFlight.set(id, attempt);
    this.#limiter?.spend(wireBytes);
    counters.recordsPublished += 1;
    counters.bytesPublished += wireBytes;
    link.publish(topics.records, message, { qos: 1 }).then(
      () => {
        // One line per record: the audit trail a field engineer follows (captured, queued,
        // delivered, acknowledged), not steady-state noise.
        this.#log.info(
          { event: "record-delivered", recordId: id, seq, wireBytes },
          "record delivered to broker",
        );
      },
      (error: unknown) => {
        counters.publishFailures += 1;
        // After a reconnect the entry belongs to a new attempt; leave that one alone.
        if (this.#inFlight.get(id) !== attempt) return;
        this.#inFlight.delete(id);
        outbox.release([id]);
        this.#log.debug({ recordId: id, err: error }, "record publish failed; will retry");
      },
    );
  }

  #onAck(payload: Buffer): void {
    let ack;
    try {
      ack = decodeAck(payload);
    } catch (error) {
      this.#options.counters.refusedInbound += 1;
      this.#refusals.refused(error instanceof WireError ? error.message : String(error));
      return;
    }
    const sent = this.#inFlight.get(ack.id);
    this.#inFlight.delete(ack.id);
    if (sent !== undefined && ack.at !== undefined)
      this.#options.clock.observe(sent.sentAt, Date.parse(ack.at), Date.now());
    if (ack.status === "refused") {
      this.#setAside(ack.id, ack.seq, ack.reason);
      return;
    }
    // A second copy within one burst is a duplicate as surely as one in a later burst.
    if (this.#acks.has(ack.id)) this.#options.counters.duplicateAcks += 1;
    this.#acks.set(ack.id, ack.seq);
    if (this.#acks.size === 1)
      setImmediate(() => {
        this.#settleAcks();
      });
  }

  /**
   * The centre will never take this record: sending it again would only hold a window
   * slot for ever. It stays in the queue, set aside and reported, for a field engineer.
   */
  #setAside(id: string, seq: number, reason: string | undefined): void {
    const why = `refused by the centre: ${reason ?? "no reason given"}`;
    let entry;
    try {
      entry = this.#options.outbox.setAside(id, why);
    } catch (error) {
      // Still queued and still leased: it goes again when the lease runs out.
      this.#log.error({ err: error, recordId: id }, "cannot set aside a refused record");
      return;
    }
    if (entry === undefined) {
      this.#options.counters.duplicateAcks += 1;
      return;
    }
    this.#options.counters.recordsRefused += 1;
    this.#log.warn(
      { event: "record-refused", recordId: id, seq, reason: reason ?? null },
      "centre refused a record for good; set aside in the queue, not sent again",
    );
    this.pump();
  }

  /** The acks of one burst, settled in one queue transaction. */
  #settleAcks(): void {
    const burst = new Map(this.#acks);
    this.#acks.clear();
    const { outbox, counters } = this.#options;
    let deleted: string[];
    try {
      deleted = outbox.acknowledgeMany([...burst.keys()]);
    } catch (error) {
      // The records stay queued and go again; the centre dedupes them.
      this.#log.error({ err: error }, "cannot record acknowledgements in the queue");
      return;
    }
    counters.recordsAcknowledged += deleted.length;
    counters.duplicateAcks += burst.size - deleted.length;
    for (const id of deleted) {
      this.#log.info(
        { event: "record-acknowledged", recordId: id, seq: burst.get(id) },
        "record acknowledged by centre and deleted",
      );
      this.#options.onAcknowledged?.(id);
    }
    if (burst.size > deleted.length)
      this.#log.debug(
        { duplicates: burst.size - deleted.length },
        "acknowledgements for records not queued; ignored",
      );
    this.pump();
  }

  /** Offers every leased record again (the resync command; a reconnect). */
  resync(): number {
    const released = this.#releaseInFlight() + this.#options.outbox.release();
    this.pump();
    return released;
  }

  #releaseInFlight(): number {
    const ids = [...this.#inFlight.keys()];
    this.#inFlight.clear();
    return ids.length > 0 ? this.#options.outbox.release(ids) : 0;
  }

  #expireUnacknowledged(): void {
    const cutoff = Date.now() - this.#ackTimeoutMs;
    const expired: string[] = [];
    for (const [id, { sentAt }] of this.#inFlight) {
      if (sentAt < cutoff) {
        this.#inFlight.delete(id);
        expired.push(id);
      }
    }
    if (expired.length > 0) {
      this.#options.outbox.release(expired);
      this.#options.counters.recordsRepublished += expired.length;
      this.#log.warn({ expired: expired.length }, "no acknowledgement in time; sending again");
      this.pump();
    }
  }

  stop(): void {
    clearInterval(this.#sweep);
    clearTimeout(this.#throttle);
    this.#throttle = undefined;
    this.#releaseInFlight();
  }
}

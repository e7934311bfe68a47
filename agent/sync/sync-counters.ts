/** Totals since start, for the telemetry topic; each one says what moved, not how fast. */
export class SyncCounters {
  recordsPublished = 0;
  recordsRepublished = 0;
  recordsAcknowledged = 0;
  /** Records the centre refused for good, set aside in the queue. */
  recordsRefused = 0;
  /** Acks for records no longer queued: the centre confirming a duplicate delivery. */
  duplicateAcks = 0;
  /** Inbound messages refused as malformed, on any topic. */
  refusedInbound = 0;
  bytesPublished = 0;
  connections = 0;
  publishFailures = 0;

  snapshot(): Record<string, number> {
    return {
      recordsPublished: this.recordsPublished,
      recordsRepublished: this.recordsRepublished,
      recordsAcknowledged: this.recordsAcknowledged,
      recordsRefused: this.recordsRefused,
      duplicateAcks: this.duplicateAcks,
      refusedInbound: this.refusedInbound,
      bytesPublished: this.bytesPublished,
      connections: this.connections,
      publishFailures: this.publishFailures,
    };
  }
}

/**
 * The MQTT topic tree (docs/mqtt-contract.md). Device ids are validated by the
 * config schema to contain no topic wildcards or separators.
 */
export interface Topics {
  /** Device to centre: capture records (CBOR), QoS 1. */
  readonly records: string;
  /** Centre to device: acknowledgements (JSON), QoS 1. */
  readonly acks: string;
  /** Device to centre: online/offline (JSON), retained, also the last will. */
  readonly status: string;
}

export function deviceTopics(prefix: string, deviceId: string): Topics {
  const base = `${prefix}/devices/${deviceId}`;
  return { records: `${base}/records`, acks: `${base}/acks`, status: `${base}/status` };
}

/** What the centre subscribes to: every device's records. */
export function allRecordsTopic(prefix: string): string {
  return `${prefix}/devices/+/records`;
}

/** The device id in a topic from allRecordsTopic(), or undefined if it does not fit. */
export function deviceIdFromRecordsTopic(prefix: string, topic: string): string | undefined {
  const head = `${prefix}/devices/`;
  if (!topic.startsWith(head) || !topic.endsWith("/records")) return undefined;
  const id = topic.slice(head.length, -"/records".length);
  return id.length > 0 && !id.includes("/") ? id : undefined;
}

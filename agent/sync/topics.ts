/**
 * The MQTT topic tree (docs/mqtt-contract.md). Device ids are validated by the
 * config schema to contain no topic wildcards or separators.
 */
export interface Topics {
  /** Device to centre: capture records (CBOR), QoS 1. */
  readonly records: string;
  /** Centre to device: acknowledgements, QoS 1. */
  readonly acks: string;
  /** Device to centre: online/offline and health (JSON), retained, also the last will. */
  readonly status: string;
  /** Device to centre: periodic counters (JSON), QoS 0. */
  readonly telemetry: string;
  /** Centre to device: signed commands, QoS 1. */
  readonly commands: string;
  /** Device to centre: each command's outcome (JSON), QoS 1. */
  readonly commandResults: string;
  /** Centre to device: the configuration it wants this terminal to run, retained, QoS 1. */
  readonly configDesired: string;
  /** Device to centre: the configuration actually running, retained, QoS 1. */
  readonly configReported: string;
}

export function deviceTopics(prefix: string, deviceId: string): Topics {
  const base = `${prefix}/devices/${deviceId}`;
  return {
    records: `${base}/records`,
    acks: `${base}/acks`,
    status: `${base}/status`,
    telemetry: `${base}/telemetry`,
    commands: `${base}/commands`,
    commandResults: `${base}/commands/results`,
    configDesired: `${base}/config/desired`,
    configReported: `${base}/config/reported`,
  };
}

/** What the centre subscribes to for one kind of device-to-centre message, every device. */
export function allDevicesTopic(prefix: string, leaf: string): string {
  return `${prefix}/devices/+/${leaf}`;
}

/** What the centre subscribes to: every device's records. */
export function allRecordsTopic(prefix: string): string {
  return allDevicesTopic(prefix, "records");
}

/** The device id in a topic of the form <prefix>/devices/<id>/<leaf>, or undefined if it does not fit. */
export function deviceIdFromTopic(prefix: string, topic: string, leaf: string): string | undefined {
  const head = `${prefix}/devices/`;
  const tail = `/${leaf}`;
  if (!topic.startsWith(head) || !topic.endsWith(tail)) return undefined;
  const id = topic.slice(head.length, -tail.length);
  return id.length > 0 && !id.includes("/") ? id : undefined;
}

/** The device id in a topic from allRecordsTopic(), or undefined if it does not fit. */
export function deviceIdFromRecordsTopic(prefix: string, topic: string): string | undefined {
  return deviceIdFromTopic(prefix, topic, "records");
}

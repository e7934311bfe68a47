/** The part of the agent's health that `systemctl status` shows (LocalHealth fits it). */
export interface ServiceHealth {
  readonly capture: string;
  readonly sensors: readonly { readonly id: string; readonly status: string }[];
  readonly queue: { readonly records: number; readonly level: string };
}

/** One short line: whether it captures, which sensors are not ready, the queue. */
export function serviceStatusLine(health: ServiceHealth): string {
  const notReady = health.sensors.filter((sensor) => sensor.status !== "ready");
  const ready = health.sensors.length - notReady.length;
  const sensors =
    notReady.length === 0
      ? `sensors ${ready}/${health.sensors.length} ready`
      : `sensors ${ready}/${health.sensors.length} ready (${notReady
          .map((sensor) => `${sensor.id} ${sensor.status}`)
          .join(", ")})`;
  const queue = `queue ${health.queue.records} waiting${health.queue.level === "ok" ? "" : ` (${health.queue.level})`}`;
  return `${health.capture}; ${sensors}; ${queue}`;
}

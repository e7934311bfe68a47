import type { FingerprintSensor, SensorDescription } from "../../drivers/sensor.js";

/**
 * The terminal's sensors in order of preference. A session that loses its sensor moves
 * to the next one that opens within the time allowed; the pool remembers which one
 * worked, so the next traveller starts there instead of on the one that just failed.
 */
export class SensorPool {
  readonly #sensors: readonly FingerprintSensor[];
  #currentIndex = 0;

  constructor(sensors: readonly FingerprintSensor[]) {
    if (sensors.length === 0) throw new RangeError("a sensor pool needs at least one sensor");
    this.#sensors = sensors;
  }

  get current(): FingerprintSensor {
    // The constructor guarantees at least one sensor and the index stays in range.
    return this.#sensors[this.#currentIndex] as FingerprintSensor;
  }

  get all(): readonly FingerprintSensor[] {
    return this.#sensors;
  }

  /**
   * Opens the next sensor after the current one that is not in `failed`, each given
   * `openMs` to answer, and makes it current. Undefined when none is left. Rejects only
   * when `signal` aborts.
   */
  async failover(
    failed: ReadonlySet<string>,
    openMs: number,
    signal: AbortSignal,
  ): Promise<{ sensor: FingerprintSensor; description: SensorDescription } | undefined> {
    for (let step = 1; step < this.#sensors.length; step++) {
      const index = (this.#currentIndex + step) % this.#sensors.length;
      const sensor = this.#sensors[index];
      if (sensor === undefined || failed.has(sensor.id)) continue;
      try {
        const description = await sensor.open(
          AbortSignal.any([signal, AbortSignal.timeout(openMs)]),
        );
        this.#currentIndex = index;
        return { sensor, description };
      } catch (error) {
        if (signal.aborted) throw error;
      }
    }
    return undefined;
  }

  /** Moves to the next sensor, for an idle loop whose sensor keeps failing. */
  rotate(): void {
    this.#currentIndex = (this.#currentIndex + 1) % this.#sensors.length;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.#sensors.map((sensor) => sensor.close()));
  }
}

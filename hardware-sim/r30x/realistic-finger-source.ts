import type { GreyImage } from "../../drivers/sensor.js";
import type { PrintCondition } from "../prints/conditions.js";
import { renderPrint } from "../prints/render-print.js";
import { sensorForSize, type SensorName } from "../prints/sensor-profiles.js";
import type { FingerSource } from "./finger-source.js";

/** Who puts which finger down, how often they have done so, and in what state. */
export interface FingerPlacement {
  readonly seed: number;
  readonly position: number;
  readonly impression?: number;
  readonly conditions?: readonly PrintCondition[];
}

/**
 * Feeds a simulated module with prints from the realistic generator: a placed finger
 * is rendered once, at the module's size and with the matching sensor's grey
 * character, and stays on the glass until lifted.
 */
export class RealisticFingerSource implements FingerSource {
  readonly sensor: SensorName;
  #image: GreyImage | undefined;

  constructor(
    readonly imageWidth: number,
    readonly imageHeight: number,
  ) {
    const sensor = sensorForSize(imageWidth, imageHeight);
    if (sensor === undefined) {
      throw new RangeError(`no synthetic sensor profile takes ${imageWidth}x${imageHeight} images`);
    }
    this.sensor = sensor;
  }

  current(): GreyImage | undefined {
    return this.#image;
  }

  /** Renders the finger and leaves it on the glass; returns what the sensor will see. */
  placeFinger(placement: FingerPlacement): GreyImage {
    this.#image = renderPrint({ ...placement, sensor: this.sensor });
    return this.#image;
  }

  liftFinger(): void {
    this.#image = undefined;
  }
}

import type { SensorConfig } from "../agent/config/schema.js";
import { R30xSensor, type R30xSensorOptions } from "./r30x/r30x-sensor.js";
import { SensorError, type FingerprintSensor } from "./sensor.js";

export type CreateSensorOptions = R30xSensorOptions;

/** The one place that knows which driver serves which kind of sensor. */
export function createSensor(
  config: SensorConfig,
  options: CreateSensorOptions = {},
): FingerprintSensor {
  switch (config.kind) {
    case "r30x":
      return new R30xSensor(config, options);
    case "usb":
      throw new SensorError("unsupported", "USB readers arrive with the USB driver");
  }
}

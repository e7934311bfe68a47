import type { SensorConfig } from "../agent/config/schema.js";
import { R30xSensor, type R30xSensorOptions } from "./r30x/r30x-sensor.js";
import { SensorError } from "./sensor.js";
import {
  SupervisedSensor,
  type SupervisorLogger,
  type SupervisorOptions,
} from "./supervised-sensor.js";

export interface CreateSensorOptions extends Omit<R30xSensorOptions, "logger"> {
  readonly logger?: SupervisorLogger | undefined;
  readonly supervisor?: Omit<SupervisorOptions, "logger"> | undefined;
}

/**
 * The one place that knows which driver serves which kind of sensor. Every sensor
 * comes supervised: reopened with backoff when it is unplugged or stops answering.
 */
export function createSensor(
  config: SensorConfig,
  options: CreateSensorOptions = {},
): SupervisedSensor {
  const { supervisor, ...driverOptions } = options;
  switch (config.kind) {
    case "r30x":
      return new SupervisedSensor(new R30xSensor(config, driverOptions), {
        ...supervisor,
        logger: options.logger,
      });
    case "usb":
      throw new SensorError("unsupported", "USB readers arrive with the USB driver");
  }
}

import type { SensorConfig } from "../agent/config/schema.js";
import { R30xSensor, type R30xSensorOptions } from "./r30x/r30x-sensor.js";
import {
  SupervisedSensor,
  type SupervisorLogger,
  type SupervisorOptions,
} from "./supervised-sensor.js";
import { uru4000OpenFailureStatus } from "./uru4000/transfer-errors.js";
import { Uru4000Sensor } from "./uru4000/uru4000-sensor.js";
import type { OpenUsbTransport } from "./uru4000/usb-transport.js";

export interface CreateSensorOptions extends Omit<R30xSensorOptions, "logger"> {
  readonly logger?: SupervisorLogger | undefined;
  readonly supervisor?: Omit<SupervisorOptions, "logger"> | undefined;
  /** Replaces libusb for USB readers, e.g. with a simulated reader in tests. */
  readonly openUsbTransport?: OpenUsbTransport | undefined;
}

/**
 * The one place that knows which driver serves which kind of sensor. Every sensor
 * comes supervised: reopened with backoff when it is unplugged or stops answering.
 */
export function createSensor(
  config: SensorConfig,
  options: CreateSensorOptions = {},
): SupervisedSensor {
  const { supervisor, openUsbTransport, ...driverOptions } = options;
  switch (config.kind) {
    case "r30x":
      return new SupervisedSensor(new R30xSensor(config, driverOptions), {
        ...supervisor,
        logger: options.logger,
      });
    case "usb":
      return new SupervisedSensor(
        new Uru4000Sensor(config, { openTransport: openUsbTransport, logger: options.logger }),
        { statusForOpenFailure: uru4000OpenFailureStatus, ...supervisor, logger: options.logger },
      );
  }
}

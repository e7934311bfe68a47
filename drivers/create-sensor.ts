import type { SensorConfig } from "../agent/config/schema.js";
import { R30xSensor, type R30xSensorOptions } from "./r30x/r30x-sensor.js";
import {
  SupervisedSensor,
  type SupervisorLogger,
  type SupervisorOptions,
} from "./supervised-sensor.js";
import { uru4000OpenFailureStatus } from "./uru4000/transfer-errors.js";
import { Uru4000Sensor } from "./uru4000/uru4000-sensor.js";
import type { OpenUsbTransport, WatchUsbArrivals } from "./uru4000/usb-transport.js";

export interface CreateSensorOptions extends Omit<R30xSensorOptions, "logger"> {
  readonly logger?: SupervisorLogger | undefined;
  readonly supervisor?: Omit<SupervisorOptions, "logger"> | undefined;
  /** Replaces libusb for USB readers, e.g. with a simulated reader in tests. */
  readonly openUsbTransport?: OpenUsbTransport | undefined;
  /** Replaces libusb's hot-plug attach events for USB readers. */
  readonly watchUsbArrivals?: WatchUsbArrivals | undefined;
}

/**
 * The one place that knows which driver serves which kind of sensor. Every sensor
 * comes supervised: reopened with backoff when it is unplugged or stops answering.
 */
export function createSensor(
  config: SensorConfig,
  options: CreateSensorOptions = {},
): SupervisedSensor {
  const { supervisor, openUsbTransport, watchUsbArrivals, ...driverOptions } = options;
  switch (config.kind) {
    case "r30x":
      return new SupervisedSensor(new R30xSensor(config, driverOptions), {
        ...supervisor,
        logger: options.logger,
      });
    case "usb": {
      const reader = new Uru4000Sensor(config, {
        openTransport: openUsbTransport,
        watchArrivals: watchUsbArrivals,
        logger: options.logger,
      });
      return new SupervisedSensor(reader, {
        statusForOpenFailure: uru4000OpenFailureStatus,
        wakeOn: (retryNow) => reader.onArrival(retryNow),
        ...supervisor,
        logger: options.logger,
      });
    }
  }
}

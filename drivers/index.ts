export {
  CAPTURE_PARAMETER_NAMES,
  SensorError,
  isSensorError,
  type CapturedImage,
  type CaptureParameterName,
  type CaptureParameterRanges,
  type CaptureParameters,
  type FingerprintSensor,
  type GreyImage,
  type IndicatorColour,
  type IndicatorState,
  type ParameterRange,
  type SensorDescription,
  type SensorErrorKind,
  type WaitOptions,
} from "./sensor.js";
export { createSensor, type CreateSensorOptions } from "./create-sensor.js";
export type { DriverLogger } from "./r30x/command-channel.js";
export type { ByteLink, OpenByteLink } from "./link/byte-link.js";
export { openByteLink } from "./link/open-byte-link.js";
export { isAborted } from "./link/abort.js";
export {
  SupervisedSensor,
  type SensorStatus,
  type SupervisorLogger,
  type SupervisorOptions,
} from "./supervised-sensor.js";
export * from "./gpio/index.js";
export {
  Uru4000Sensor,
  type Uru4000SensorOptions,
  type UsbSensorConfig,
} from "./uru4000/uru4000-sensor.js";
export {
  SUPPORTED_USB_IDS,
  URU4000_MODELS,
  formatUsbId,
  type Uru4000Model,
} from "./uru4000/models.js";
export type {
  OpenUsbTransport,
  UsbDeviceIdentity,
  UsbMatch,
  UsbTransport,
  WatchUsbArrivals,
} from "./uru4000/usb-transport.js";

export {
  GpioError,
  isGpioError,
  type Gpio,
  type GpioBackendKind,
  type GpioErrorKind,
  type GpioInput,
  type GpioOutput,
  type InputChangeListener,
  type InputErrorListener,
  type InputLineConfig,
  type LineValue,
  type OutputLineConfig,
} from "./gpio.js";
export {
  claimGateLines,
  createGpio,
  type CreateGpioOptions,
  type GateLines,
  type GatePinMap,
  type GpioConfig,
} from "./create-gpio.js";
export { NullGpio } from "./null-gpio.js";
export { SimulatedGpio, type GpioTransition, type SimulatedGpioOptions } from "./simulated-gpio.js";
export {
  SysfsGpio,
  type SysfsDirection,
  type SysfsDriver,
  type SysfsLine,
  type SysfsLineRequest,
} from "./sysfs-gpio.js";
export { loadOnoffDriver, onoffDriver, type OnoffGpioClass } from "./onoff-driver.js";

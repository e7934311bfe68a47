// Tests reach the Mosquitto launcher here; it lives with the simulator so benchmarks use it too.
export {
  freePort,
  mosquittoPath,
  startMosquitto,
  type RunningMosquitto,
  type StartedMosquitto,
} from "../../hardware-sim/broker/mosquitto.js";

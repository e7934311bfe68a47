import { Confirmation } from "../../drivers/r30x/constants.js";
import { R30X_MODELS, type R30xModel, type R30xModelProfile } from "../../drivers/r30x/models.js";

/** What the R503 reports about itself through ReadProdInfo and GetFwVer. */
export interface ProductIdentity {
  readonly model: string;
  readonly batch: string;
  readonly serial: string;
  readonly hardwareVersion: readonly [number, number];
  readonly sensorType: string;
  readonly firmwareVersion: string;
}

/** What the simulator needs beyond the driver's profile: firmware behaviour and capacities. */
export interface SimulatedModelProfile extends R30xModelProfile {
  /** Bytes UpChar/DownChar move for one character buffer. */
  readonly templateSize: number;
  /** CharBuffer1..N. */
  readonly characterBuffers: number;
  readonly librarySize: number;
  readonly systemId: number;
  /** The N in 9600 x N that SetSysPara parameter 4 accepts. */
  readonly baudMultipliers: readonly number[];
  /** Sends 0x55 once it has started (R503: about 50 ms after power-on or SoftRst). */
  readonly readySignal: boolean;
  /** The acknowledge for an instruction code the firmware does not know. */
  readonly unknownInstructionReply: number;
  /** Present on firmware with the R503 additions: GetImageEx, AuraLedConfig, ReadProdInfo and the rest. */
  readonly extensions?: ProductIdentity;
}

const ALL_BAUD_MULTIPLIERS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

/**
 * The classic optical modules. Their manuals list 256-byte character files and 512-byte
 * templates, but UpChar and DownChar move 512 bytes whatever the buffer holds, which is
 * what client libraries expect. Their confirmation tables stop at 0x1F: there is no
 * "unsupported command" code, so an unknown instruction gets the generic 0x01.
 */
function classic(model: R30xModel, librarySize: number): SimulatedModelProfile {
  return {
    ...R30X_MODELS[model],
    templateSize: 512,
    characterBuffers: 2,
    librarySize,
    systemId: 0x0009,
    baudMultipliers: ALL_BAUD_MULTIPLIERS,
    readySignal: false,
    unknownInstructionReply: Confirmation.PacketReceiveError,
  };
}

/**
 * The R503 manual (v1.4.1): 200 templates of 1536 bytes, six character buffers, system
 * identifier fixed at 0x0000, baud N in 1/2/4/6/12, 0x55 when ready, 0xFC for
 * instructions it does not support. The identity strings are the simulator's own.
 */
const R503: SimulatedModelProfile = {
  ...R30X_MODELS.r503,
  templateSize: 1536,
  characterBuffers: 6,
  librarySize: 200,
  systemId: 0x0000,
  baudMultipliers: [1, 2, 4, 6, 12],
  readySignal: true,
  unknownInstructionReply: Confirmation.UnsupportedCommand,
  extensions: {
    model: "R503",
    batch: "SIM1",
    serial: "00000001",
    hardwareVersion: [1, 0],
    sensorType: "SIMCAP",
    firmwareVersion: "basma-sim r503 1.0",
  },
};

/** Library capacities from the vendors' datasheets. */
export const SIMULATED_MODELS: Readonly<Record<R30xModel, SimulatedModelProfile>> = {
  r305: classic("r305", 256),
  r307: classic("r307", 1000),
  as608: classic("as608", 300),
  zfm20: classic("zfm20", 162),
  r503: R503,
};

import type { R30xSensorConfig } from "../../agent/config/schema.js";

export type R30xModel = R30xSensorConfig["model"];

/** What differs between members of the family; the driver and the simulator share it. */
export interface R30xModelProfile {
  readonly model: R30xModel;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly resolutionPpi: number;
  /** The R503's aura LED ring. */
  readonly indicator: boolean;
}

const CLASSIC = { imageWidth: 256, imageHeight: 288, resolutionPpi: 500, indicator: false };

export const R30X_MODELS: Readonly<Record<R30xModel, R30xModelProfile>> = {
  r305: { model: "r305", ...CLASSIC },
  r307: { model: "r307", ...CLASSIC },
  as608: { model: "as608", ...CLASSIC },
  zfm20: { model: "zfm20", ...CLASSIC },
  r503: { model: "r503", imageWidth: 192, imageHeight: 192, resolutionPpi: 500, indicator: true },
};

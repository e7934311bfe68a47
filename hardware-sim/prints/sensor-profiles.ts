/**
 * The capture devices a synthetic print can be rendered for. Each has its own image
 * size and grey character: FTIR optical modules show dark ridges on a bright, slightly
 * unevenly lit field; capacitive ones a flatter, greyer background with faint column
 * banding from the electrode array; the USB reader's wider prism vignettes more.
 */
export interface SensorProfile {
  readonly name: SensorName;
  readonly description: string;
  readonly width: number;
  readonly height: number;
  /** True for a four-finger (or two-thumb) slap scanner. */
  readonly slap: boolean;
  /** Grey level of the empty platen at the centre. */
  readonly background: number;
  /** How much darker a fully inked ridge is than the background. */
  readonly contrast: number;
  /** Standard deviation of the per-pixel sensor noise, grey levels. */
  readonly noise: number;
  /** Fraction of the background lost in the corners (uneven illumination). */
  readonly vignette: number;
  /** Peak amplitude of fixed column banding, grey levels. */
  readonly banding: number;
  /** Optical blur radius, pixels. */
  readonly softness: number;
}

export const SENSOR_NAMES = [
  "r307",
  "r305",
  "as608",
  "zfm20",
  "r503",
  "usb-optical",
  "slap",
] as const;
export type SensorName = (typeof SENSOR_NAMES)[number];

const R30X_OPTICAL = {
  width: 256,
  height: 288,
  slap: false,
  background: 236,
  contrast: 180,
  noise: 2.5,
  vignette: 0.07,
  banding: 0,
  softness: 1,
} as const;

export const SENSOR_PROFILES: Readonly<Record<SensorName, SensorProfile>> = {
  r307: { name: "r307", description: "R307 optical module, 256x288", ...R30X_OPTICAL },
  r305: { name: "r305", description: "R305 optical module, 256x288", ...R30X_OPTICAL },
  as608: { name: "as608", description: "AS608 optical module, 256x288", ...R30X_OPTICAL, noise: 3 },
  zfm20: { name: "zfm20", description: "ZFM-20 optical module, 256x288", ...R30X_OPTICAL },
  r503: {
    name: "r503",
    description: "R503 capacitive module, 192x192",
    width: 192,
    height: 192,
    slap: false,
    background: 212,
    contrast: 150,
    noise: 2,
    vignette: 0,
    banding: 3,
    softness: 0,
  },
  "usb-optical": {
    name: "usb-optical",
    description: "USB optical reader, 384x290",
    width: 384,
    height: 290,
    slap: false,
    background: 226,
    contrast: 170,
    noise: 3.5,
    vignette: 0.16,
    banding: 0,
    softness: 1,
  },
  slap: {
    name: "slap",
    description: "four-finger slap scanner, 1600x1500",
    width: 1600,
    height: 1500,
    slap: true,
    background: 242,
    contrast: 200,
    noise: 2,
    vignette: 0.05,
    banding: 0,
    softness: 1,
  },
};

export function isSensorName(name: string): name is SensorName {
  return (SENSOR_NAMES as readonly string[]).includes(name);
}

/** The single-finger profile whose image is width x height, for sources sized by a module. */
export function sensorForSize(width: number, height: number): SensorName | undefined {
  return SENSOR_NAMES.find((name) => {
    const profile = SENSOR_PROFILES[name];
    return !profile.slap && profile.width === width && profile.height === height;
  });
}

import type { GreyImage } from "../../drivers/sensor.js";
import {
  conditionNoise,
  inkWithSkin,
  latentGhost,
  placementChange,
  severities,
  smudge,
  type PrintCondition,
} from "./conditions.js";
import { drawImpression, emptyLayers, impressionPose } from "./impression.js";
import { masterPrint, type MasterPrint } from "./master-print.js";
import { blurInPlace, gaussian, smoothNoise } from "./noise-field.js";
import { mixSeeds, mulberry32 } from "./prng.js";
import { SENSOR_PROFILES, type SensorName, type SensorProfile } from "./sensor-profiles.js";

export interface PrintRequest {
  /** The simulated person; with `position` it fixes the ridge pattern. */
  readonly seed: number;
  /**
   * ISO/IEC 19794-4 finger position: 1..10 for single-finger sensors; 13 (right four
   * fingers), 14 (left four fingers) or 15 (both thumbs) for the slap scanner.
   */
  readonly position: number;
  /** Which placement of the finger this is; every impression differs a little. Default 0. */
  readonly impression?: number;
  /** Default r307. */
  readonly sensor?: SensorName;
  readonly conditions?: readonly PrintCondition[];
}

const RESOLUTION_PPI = 500;

/** Where each finger of a slap lands: fractions of the image, and its tilt in radians. */
interface SlapFinger {
  readonly position: number;
  readonly x: number;
  readonly y: number;
  readonly angle: number;
}

/**
 * Slap layouts as a hand lies on the scanner, seen as the print (pads towards the
 * viewer): fingertips fan out, the middle finger reaches furthest and the little finger
 * sits lowest, and each hand leans towards its thumb.
 */
const SLAPS: Readonly<Record<number, readonly SlapFinger[]>> = {
  13: [
    { position: 2, x: 0.17, y: 0.47, angle: -0.3 },
    { position: 3, x: 0.39, y: 0.36, angle: -0.18 },
    { position: 4, x: 0.61, y: 0.41, angle: -0.08 },
    { position: 5, x: 0.82, y: 0.58, angle: 0.05 },
  ],
  14: [
    { position: 10, x: 0.18, y: 0.58, angle: -0.05 },
    { position: 9, x: 0.39, y: 0.41, angle: 0.08 },
    { position: 8, x: 0.61, y: 0.36, angle: 0.18 },
    { position: 7, x: 0.83, y: 0.47, angle: 0.3 },
  ],
  15: [
    { position: 6, x: 0.32, y: 0.5, angle: 0.25 },
    { position: 1, x: 0.68, y: 0.5, angle: -0.25 },
  ],
};

function checkRequest(request: PrintRequest, profile: SensorProfile): void {
  const { seed, position, impression = 0 } = request;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(impression) || impression < 0) {
    throw new RangeError(`impression must be a whole number, got ${impression}`);
  }
  const valid = profile.slap
    ? position in SLAPS
    : Number.isInteger(position) && position >= 1 && position <= 10;
  if (!valid) {
    throw new RangeError(
      profile.slap
        ? `the ${profile.name} scanner takes slaps: position 13, 14 or 15, got ${position}`
        : `the ${profile.name} takes one finger: position 1 to 10, got ${position}`,
    );
  }
}

/**
 * A synthetic capture: the finger's master print, placed on the sensor as impression
 * `impression`, changed by the conditions and seen through the sensor's grey
 * character. The same request always gives the same bytes.
 */
export function renderPrint(request: PrintRequest): GreyImage {
  const profile = SENSOR_PROFILES[request.sensor ?? "r307"];
  checkRequest(request, profile);
  const { seed, position, impression = 0 } = request;
  const { width, height } = profile;
  const captureSeed = mixSeeds(seed, position, impression, 0x63617074);
  const s = severities(request.conditions ?? []);
  const change = placementChange(s, captureSeed);

  const fingers: readonly SlapFinger[] = SLAPS[position] ?? [
    { position, x: 0.5, y: 0.5, angle: 0 },
  ];
  const layers = emptyLayers(width, height);
  let first: MasterPrint | undefined;
  for (const finger of fingers) {
    const master = masterPrint(seed, finger.position);
    first ??= master;
    const pose = impressionPose(seed, finger.position, impression, {
      centreX: width * (finger.x + change.shiftX),
      centreY: height * (finger.y + change.shiftY),
      angle: finger.angle,
    });
    drawImpression(
      master,
      {
        ...pose,
        pressure: Math.max(-1, Math.min(1, pose.pressure + change.pressure)),
        contactScale: pose.contactScale * change.contactScale,
      },
      layers,
    );
  }

  let ink = inkWithSkin(layers, s, captureSeed);
  ink = smudge(ink, width, height, s, captureSeed);
  blurInPlace(ink, width, height, profile.softness);
  const ghost = first && latentGhost(first, width, height, s, captureSeed);

  const grey = sensorGrey(profile, ink, ghost, captureSeed);
  conditionNoise(grey, s, captureSeed);
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++)
    pixels[i] = Math.max(0, Math.min(255, Math.round(grey[i] ?? 0)));
  return { width, height, resolutionPpi: RESOLUTION_PPI, pixels };
}

/**
 * What the sensor reports for a given ink image: its background, lit unevenly; the ink
 * at its contrast; latent residue a little fainter than skin; its banding and noise.
 */
function sensorGrey(
  profile: SensorProfile,
  ink: Float32Array,
  ghost: Float32Array | undefined,
  captureSeed: number,
): Float32Array {
  const { width, height } = profile;
  const random = mulberry32(mixSeeds(captureSeed, 0x73656e73));
  // The sensor's own shading is fixed for a device, so it is not drawn per capture.
  const shading = smoothNoise(width, height, Math.max(width, height) / 2, mulberry32(0x5eed));
  const columns = Float32Array.from({ length: width }, () => profile.banding * (random() * 2 - 1));
  const grey = new Float32Array(width * height);
  const halfDiagonal2 = (width * width + height * height) / 4;
  for (let y = 0; y < height; y++) {
    const dy = y - height / 2;
    for (let x = 0; x < width; x++) {
      const dx = x - width / 2;
      const i = y * width + x;
      const falloff = 1 - profile.vignette * ((dx * dx + dy * dy) / halfDiagonal2);
      const background = profile.background * falloff + 3 * (shading[i] ?? 0);
      // Residue on the glass frustrates reflection wherever skin does not already: it
      // shows on the empty platen and, fainter, across the present finger's valleys.
      const skin = ink[i] ?? 0;
      const dark = skin + (ghost?.[i] ?? 0) * (1 - skin);
      grey[i] =
        background - profile.contrast * dark + (columns[x] ?? 0) + profile.noise * gaussian(random);
    }
  }
  return grey;
}

import { packImage } from "../../drivers/r30x/image.js";
import type { GreyImage } from "../../drivers/sensor.js";
import type { CaptureOutcome, HeldImage } from "./module-context.js";

/**
 * Where a simulated module's fingers come from. The module asks at every capture
 * instruction, so a source may change what it returns at any time (a replayed
 * recording, a generator that moves the finger, a test stub). The module keeps the
 * packed form of each image object it has seen, so a changed image must be a new
 * object rather than the old one's pixels rewritten.
 */
export interface FingerSource {
  /** The image on the glass now, at the module's own size; undefined when the glass is clear. */
  current(): GreyImage | undefined;
}

/**
 * The built-in source: a finger is on the glass from placeFinger() until liftFinger().
 * It checks the size up front so a wrong image fails where it was placed, not at the
 * next capture.
 */
export class Platen implements FingerSource {
  #image: GreyImage | undefined;

  constructor(
    private readonly label: string,
    readonly imageWidth: number,
    readonly imageHeight: number,
  ) {}

  current(): GreyImage | undefined {
    return this.#image;
  }

  placeFinger(image: GreyImage): void {
    const { imageWidth, imageHeight } = this;
    if (image.width !== imageWidth || image.height !== imageHeight) {
      throw new RangeError(
        `a ${this.label} takes ${imageWidth}x${imageHeight} images, got ${image.width}x${image.height}`,
      );
    }
    if (image.pixels.length !== imageWidth * imageHeight) {
      throw new RangeError(
        `expected ${imageWidth * imageHeight} pixels, got ${image.pixels.length}`,
      );
    }
    this.#image = image;
  }

  liftFinger(): void {
    this.#image = undefined;
  }
}

/**
 * The sensor taking a picture of whatever the source shows: at the module's 4-bit
 * depth, and refused when the source hands over an image the sensor cannot have
 * taken (another size).
 */
export class SensorCapture {
  // Sources hand out the same object while the finger rests, and GenImg is polled.
  readonly #packed = new WeakMap<GreyImage, HeldImage>();

  constructor(
    private readonly source: FingerSource,
    private readonly imageWidth: number,
    private readonly imageHeight: number,
  ) {}

  capture(): CaptureOutcome {
    const image = this.source.current();
    if (!image) return { kind: "no-finger" };
    const { imageWidth, imageHeight } = this;
    if (
      image.width !== imageWidth ||
      image.height !== imageHeight ||
      image.pixels.length !== imageWidth * imageHeight
    )
      return { kind: "failed" };
    let held = this.#packed.get(image);
    if (!held) {
      held = { packed: packImage(image.pixels) };
      this.#packed.set(image, held);
    }
    return { kind: "image", image: held };
  }
}

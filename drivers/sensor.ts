/**
 * The one contract between the agent and any fingerprint sensor. The agent never
 * imports a device family directly; it gets a FingerprintSensor from createSensor().
 */

/** An 8-bit greyscale image, row-major, one byte per pixel. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  /** Scan resolution in pixels per inch (500 for every supported module). */
  readonly resolutionPpi: number;
  readonly pixels: Uint8Array;
}

export interface CapturedImage extends GreyImage {
  readonly sensorId: string;
  readonly capturedAt: Date;
  /** Finger-detected to image-in-memory, in milliseconds. */
  readonly durationMs: number;
}

export interface SensorDescription {
  readonly id: string;
  readonly kind: "r30x" | "usb";
  readonly model: string;
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly resolutionPpi: number;
  /** Module-reported identity (serial number, firmware) where the device tells it. */
  readonly identity: Readonly<Record<string, string>>;
  readonly capabilities: {
    /** Has a light of its own that can guide the traveller (R503 aura LED). */
    readonly indicator: boolean;
    /**
     * The capture parameters the device lets the host change, with their ranges; absent
     * when it has none (R30x modules set their own exposure).
     */
    readonly captureParameters?: CaptureParameterRanges;
  };
}

/** Capture settings some readers expose; each is in the device's own units. */
export const CAPTURE_PARAMETER_NAMES = ["gain", "exposure", "illumination"] as const;
export type CaptureParameterName = (typeof CAPTURE_PARAMETER_NAMES)[number];
export type CaptureParameters = Readonly<Partial<Record<CaptureParameterName, number>>>;

export interface ParameterRange {
  readonly min: number;
  readonly max: number;
  /** What the device starts with, and what a session returns it to. */
  readonly initial: number;
}
export type CaptureParameterRanges = Readonly<
  Partial<Record<CaptureParameterName, ParameterRange>>
>;

/** The colours of the R503 aura ring; other indicators map them to what they have. */
export type IndicatorColour = "red" | "blue" | "purple" | "green" | "yellow" | "cyan" | "white";

/** A light on the sensor itself, used to guide the traveller where their finger is. */
export type IndicatorState =
  | { readonly pattern: "off" }
  | {
      readonly pattern: "steady" | "breathing" | "flashing" | "fade-in" | "fade-out";
      readonly colour: IndicatorColour;
      /** Breathing and flashing: how many cycles; 0 repeats until the next state. */
      readonly cycles?: number;
    };

export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Give up with a SensorError of kind "timeout" after this long. */
  readonly timeoutMs: number;
}

export interface FingerprintSensor {
  readonly id: string;
  /** Connects, authenticates and identifies the device. */
  open(signal?: AbortSignal): Promise<SensorDescription>;
  /** What open() found; throws "not-open" before open(). */
  describe(): SensorDescription;
  /** Resolves once a finger lies on the sensor. */
  waitForFinger(options: WaitOptions): Promise<void>;
  /** Takes one image of the finger now on the sensor. */
  captureImage(signal?: AbortSignal): Promise<CapturedImage>;
  /** Resolves once the sensor is clear, so one placement is never taken twice. */
  waitForFingerRemoved(options: WaitOptions): Promise<void>;
  /**
   * Sets the sensor's own light. Sensors whose description says capabilities.indicator
   * is false reject with kind "unsupported".
   */
  setIndicator(state: IndicatorState, signal?: AbortSignal): Promise<void>;
  /**
   * Sets capture parameters for the next images; resolves with every parameter as now in
   * force. Only on sensors whose description lists capabilities.captureParameters; others
   * leave it out or reject with kind "unsupported".
   */
  setCaptureParameters?(
    parameters: CaptureParameters,
    signal?: AbortSignal,
  ): Promise<CaptureParameters>;
  /** Releases the device; safe to call more than once. */
  close(): Promise<void>;
}

export type SensorErrorKind =
  /** A wait ran out: no finger placed, or none lifted, in the time given. */
  | "timeout"
  /** The device did not answer a command in time: hung, unplugged, or at another baud rate. */
  | "no-reply"
  /** The line or device went away (unplugged, port closed). */
  | "disconnected"
  /** The bytes made no sense (bad frame, unexpected reply). */
  | "protocol"
  /** The device answered with a failure code. */
  | "device"
  /** The caller's AbortSignal fired. */
  | "aborted"
  /** Used before open() or after close(). */
  | "not-open"
  /** Configuration names something the driver cannot do. */
  | "unsupported";

export class SensorError extends Error {
  override readonly name = "SensorError";
  constructor(
    readonly kind: SensorErrorKind,
    message: string,
    /** The device's own status code, where it sent one. */
    readonly deviceCode?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function isSensorError(error: unknown, kind?: SensorErrorKind): error is SensorError {
  return error instanceof SensorError && (kind === undefined || error.kind === kind);
}

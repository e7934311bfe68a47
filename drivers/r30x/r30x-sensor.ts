import { performance } from "node:perf_hooks";
import type { R30xSensorConfig } from "../../agent/config/schema.js";
import type { OpenByteLink } from "../link/byte-link.js";
import { openByteLink } from "../link/open-byte-link.js";
import {
  SensorError,
  type CapturedImage,
  type FingerprintSensor,
  type IndicatorState,
  type SensorDescription,
  type WaitOptions,
} from "../sensor.js";
import { openAtAnyRate } from "./baud-probe.js";
import type { DriverLogger } from "./command-channel.js";
import { transferTimeoutMs, type CaptureResult } from "./commands.js";
import { Confirmation, deviceError, Instruction } from "./constants.js";
import { delay, withDeadline } from "./deadline.js";
import { packedImageLength, unpackImage } from "./image.js";
import { R30X_MODELS, type R30xModelProfile } from "./models.js";
import type { LinkSession, LinkTarget } from "./link-session.js";
import { tuneLink } from "./link-tuning.js";

export type { DriverLogger } from "./command-channel.js";

export interface R30xSensorOptions {
  readonly logger?: DriverLogger | undefined;
  /** Replaces serial/TCP with another transport, e.g. an in-memory link in tests. */
  readonly openLink?: OpenByteLink | undefined;
  /** Pause between GenImg polls while waiting for a finger to arrive or leave. */
  readonly pollIntervalMs?: number | undefined;
}

const DEFAULT_POLL_INTERVAL_MS = 100;

/** An image GenImg left in the module's buffer for the next captureImage. */
interface BufferedImage {
  readonly capturedAt: Date;
  /** performance.now() when the GenImg that took it was sent. */
  readonly startedAt: number;
}

interface Session {
  readonly line: LinkSession;
  readonly description: SensorDescription;
  /** The image size this module produces: its own word where it gives one, else the model's. */
  readonly image: { readonly width: number; readonly height: number };
  detach: () => void;
  buffered: BufferedImage | undefined;
}

/** A ZhianTec/Synochip R30x-family module on a serial line or a serial-over-TCP bridge. */
export class R30xSensor implements FingerprintSensor {
  readonly id: string;
  readonly #profile: R30xModelProfile;
  readonly #openLink: OpenByteLink;
  readonly #pollIntervalMs: number;
  readonly #logger: DriverLogger | undefined;
  #session: Session | undefined;
  #opening:
    { readonly promise: Promise<SensorDescription>; readonly cancel: AbortController } | undefined;
  /** Set when the link went away on its own; later calls fail with it. */
  #lost: SensorError | undefined;
  #description: SensorDescription | undefined;

  constructor(
    private readonly config: R30xSensorConfig,
    options: R30xSensorOptions = {},
  ) {
    this.id = config.id;
    this.#profile = R30X_MODELS[config.model];
    this.#openLink = options.openLink ?? openByteLink;
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.#logger = options.logger;
  }

  open(signal?: AbortSignal): Promise<SensorDescription> {
    if (this.#session) return Promise.resolve(this.#session.description);
    if (this.#opening) return this.#opening.promise;
    this.#lost = undefined;
    const cancel = new AbortController();
    const combined = signal ? AbortSignal.any([signal, cancel.signal]) : cancel.signal;
    const promise = this.#connect(combined)
      .then((session) => {
        this.#session = session;
        this.#description = session.description;
        return session.description;
      })
      .finally(() => {
        this.#opening = undefined;
      });
    this.#opening = { promise, cancel };
    return promise;
  }

  describe(): SensorDescription {
    if (!this.#description)
      throw new SensorError("not-open", `sensor ${this.id} has not been opened`);
    return this.#description;
  }

  async waitForFinger(options: WaitOptions): Promise<void> {
    const session = this.#require();
    session.buffered = undefined;
    const buffered = await this.#pollUntil(session, "captured", options, "waiting for a finger");
    session.buffered = buffered;
  }

  async captureImage(signal?: AbortSignal): Promise<CapturedImage> {
    const session = this.#require();
    const { width, height } = session.image;
    const { resolutionPpi } = this.#profile;
    let buffered = session.buffered;
    session.buffered = undefined;
    if (!buffered) {
      const startedAt = performance.now();
      const result = await session.line.commands.genImg({ signal });
      if (result === "no-finger") throw deviceError(Instruction.GenImg, Confirmation.NoFinger);
      buffered = { capturedAt: new Date(), startedAt };
    }
    const byteCount = packedImageLength(width, height);
    const packed = await session.line.commands.upImage(byteCount, {
      signal,
      timeoutMs: transferTimeoutMs(byteCount, session.line.channel.packetSize, session.line.baud),
    });
    const pixels = unpackImage(packed, width, height);
    return {
      sensorId: this.id,
      capturedAt: buffered.capturedAt,
      durationMs: performance.now() - buffered.startedAt,
      width,
      height,
      resolutionPpi,
      pixels,
    };
  }

  async waitForFingerRemoved(options: WaitOptions): Promise<void> {
    const session = this.#require();
    session.buffered = undefined;
    await this.#pollUntil(session, "no-finger", options, "waiting for the finger to be removed");
  }

  async setIndicator(state: IndicatorState, signal?: AbortSignal): Promise<void> {
    const session = this.#require();
    if (!this.#profile.indicator) {
      throw new SensorError(
        "unsupported",
        `sensor ${this.id}: the ${this.#profile.model} has no light of its own`,
      );
    }
    await session.line.commands.setAura(state, { signal });
  }

  async close(): Promise<void> {
    const opening = this.#opening;
    if (opening) {
      opening.cancel.abort(
        new SensorError("disconnected", `sensor ${this.id} closed while opening`),
      );
      await opening.promise.catch(() => undefined);
    }
    const session = this.#session;
    this.#session = undefined;
    this.#lost = undefined;
    if (!session) return;
    session.detach();
    await session.line.close("closed");
  }

  async #connect(signal: AbortSignal): Promise<Session> {
    const { path, baud, address, password, tuneLink: tune } = this.config;
    const target: LinkTarget = {
      openLink: this.#openLink,
      path,
      address,
      password,
      profile: this.#profile,
      label: `sensor ${this.id} (${path})`,
      logger: this.#logger,
    };
    let line = await openAtAnyRate(target, baud, signal);
    if (tune) line = await tuneLink(target, line, signal);
    const image = {
      width: line.productInfo?.imageWidth ?? this.#profile.imageWidth,
      height: line.productInfo?.imageHeight ?? this.#profile.imageHeight,
    };
    const session: Session = {
      line,
      image,
      description: this.#describe(line, image),
      detach: () => undefined,
      buffered: undefined,
    };
    session.detach = line.link.onClose((error) => {
      this.#onLinkLost(session, error);
    });
    return session;
  }

  #onLinkLost(session: Session, error: Error | undefined): void {
    if (this.#session !== session) return;
    this.#session = undefined;
    const detail = error === undefined ? "" : `: ${error.message}`;
    this.#lost = new SensorError(
      "disconnected",
      `sensor ${this.id} (${this.config.path}) disconnected${detail}`,
      undefined,
      {
        cause: error,
      },
    );
    this.#logger?.warn(
      { sensorId: this.id, path: this.config.path, reason: error?.message },
      "R30x link lost",
    );
  }

  #describe(line: LinkSession, image: Session["image"]): SensorDescription {
    const { parameters, productInfo } = line;
    const profile = this.#profile;
    return {
      id: this.id,
      kind: "r30x",
      model: profile.model,
      imageWidth: image.width,
      imageHeight: image.height,
      resolutionPpi: profile.resolutionPpi,
      identity: {
        systemId: `0x${parameters.systemId.toString(16).toUpperCase().padStart(4, "0")}`,
        librarySize: String(parameters.librarySize),
        securityLevel: String(parameters.securityLevel),
        packetSize: String(line.channel.packetSize),
        baud: String(line.baud),
        ...(productInfo && {
          productModel: productInfo.model,
          serial: productInfo.serial,
          hardwareVersion: `${productInfo.hardwareVersion.major}.${productInfo.hardwareVersion.minor}`,
        }),
      },
      capabilities: { indicator: profile.indicator },
    };
  }

  #require(): Session {
    if (this.#session) return this.#session;
    throw this.#lost ?? new SensorError("not-open", `sensor ${this.id} is not open`);
  }

  /** Polls GenImg until it reports `wanted`; returns when the deciding GenImg was sent and answered. */
  #pollUntil(
    session: Session,
    wanted: CaptureResult,
    options: WaitOptions,
    what: string,
  ): Promise<BufferedImage> {
    return withDeadline(options, `sensor ${this.id}: ${what}`, async (signal) => {
      for (;;) {
        const startedAt = performance.now();
        if ((await session.line.commands.genImg({ signal })) === wanted) {
          return { capturedAt: new Date(), startedAt };
        }
        await delay(this.#pollIntervalMs, signal, what);
      }
    });
  }
}

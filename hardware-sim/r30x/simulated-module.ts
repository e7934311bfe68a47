import { randomInt } from "node:crypto";
import { Confirmation, DEFAULT_ADDRESS, Pid } from "../../drivers/r30x/constants.js";
import { encodeFrame, type R30xFrame } from "../../drivers/r30x/frame.js";
import type { R30xModel } from "../../drivers/r30x/models.js";
import { FrameParser, type ParserDiscard } from "../../drivers/r30x/parser.js";
import type { PacketSizeCode } from "../../drivers/r30x/system-parameters.js";
import type { GreyImage } from "../../drivers/sensor.js";
import { mulberry32 } from "../prints/prng.js";
import { BusyQueue } from "./busy-queue.js";
import { DataReception } from "./data-reception.js";
import { FaultInjector } from "./fault-injector.js";
import type { FaultAction, Scenario } from "./fault-scenario.js";
import { Platen, SensorCapture, type FingerSource } from "./finger-source.js";
import { instructionSet } from "./instruction-set.js";
import { templateGeometry } from "./fingerprint-features.js";
import type { AuraState, InstructionSpec, ModuleContext } from "./module-context.js";
import { SIMULATED_MODELS, type SimulatedModelProfile } from "./module-profiles.js";
import { SystemSettings } from "./system-settings.js";
import { TemplateLibrary } from "./template-library.js";

export interface SimulatedR30xOptions {
  readonly model?: R30xModel;
  readonly address?: number;
  /** 0 means commands work without VfyPwd, as on a module fresh from the factory. */
  readonly password?: number;
  readonly systemId?: number;
  readonly librarySize?: number;
  /** 1-5; sets the match threshold. */
  readonly securityLevel?: number;
  /** 0/1/2/3 = 32/64/128/256-byte data packets. */
  readonly packetSizeCode?: PacketSizeCode;
  /** N in 9600 x N. */
  readonly baudMultiplier?: number;
  /** Where fingers come from; without one, placeFinger()/liftFinger() drive a built-in platen. */
  readonly fingerSource?: FingerSource;
  /** A JSON file that keeps the template library across restarts. */
  readonly libraryPath?: string;
  /** Faults to inject, command by command. */
  readonly scenario?: Scenario;
  /** Seeds GetRandomCode; random when omitted. */
  readonly randomSeed?: number;
  /** How long a module with a ready signal (R503) stays deaf after power-on before sending 0x55. */
  readonly startupMs?: number;
}

/** Something the line itself does, for the transport to act out. */
export interface LineEvent {
  readonly kind: "unplug";
  /** How long the line stays gone. */
  readonly durationMs: number;
}

/** The byte the R503 sends once it is ready after power-on or SoftRst. */
export const READY_SIGNAL = 0x55;
const DEFAULT_STARTUP_MS = 50;

/** Fault kinds that change what the host receives, so the reply must be collected first. */
const REPLY_FAULTS: ReadonlySet<FaultAction["kind"]> = new Set([
  "delay",
  "wrong-address",
  "drop",
  "corrupt",
  "duplicate",
  "garbage",
]);

/**
 * The device end of the R30x protocol: bytes in through receive(), bytes out through
 * onTransmit listeners. Instructions are answered synchronously, one frame per
 * listener call, unless a fault delays or damages the reply; the link in between
 * supplies the line timing (see ModuleLine).
 */
export class SimulatedR30xModule {
  readonly profile: SimulatedModelProfile;
  readonly library: TemplateLibrary;
  readonly #settings: SystemSettings;
  readonly #context: ModuleContext;
  readonly #instructions: Map<number, InstructionSpec>;
  readonly #parser: FrameParser;
  readonly #source: FingerSource;
  readonly #platen: Platen | undefined;
  readonly #faults: FaultInjector | undefined;
  readonly #startupMs: number;
  readonly #listeners = new Set<(bytes: Uint8Array) => void>();
  readonly #lineListeners = new Set<(event: LineEvent) => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #reception:
    { readonly transfer: DataReception; readonly done: (data: Uint8Array) => void } | undefined;
  #commandCount = 0;
  #starting = false;
  readonly #busy = new BusyQueue();
  #capturedReply: Uint8Array[] | undefined;

  constructor(options: SimulatedR30xOptions = {}) {
    const profile = SIMULATED_MODELS[options.model ?? "r307"];
    this.profile = profile;
    this.#settings = new SystemSettings(profile, {
      address: options.address ?? DEFAULT_ADDRESS,
      password: options.password ?? 0,
      systemId: options.systemId ?? profile.systemId,
      librarySize: options.librarySize ?? profile.librarySize,
      securityLevel: options.securityLevel ?? 3,
      packetSizeCode: options.packetSizeCode ?? 2,
      baudMultiplier: options.baudMultiplier ?? 6,
    });
    this.library = new TemplateLibrary(
      {
        model: profile.model,
        capacity: this.#settings.librarySize,
        templateSize: profile.templateSize,
      },
      options.libraryPath,
    );
    if (options.fingerSource) {
      this.#platen = undefined;
      this.#source = options.fingerSource;
    } else {
      const platen = new Platen(profile.model, profile.imageWidth, profile.imageHeight);
      this.#platen = platen;
      this.#source = platen;
    }
    const sensor = new SensorCapture(this.#source, profile.imageWidth, profile.imageHeight);
    this.#faults = options.scenario ? new FaultInjector(options.scenario) : undefined;
    this.#startupMs = options.startupMs ?? DEFAULT_STARTUP_MS;
    this.#instructions = instructionSet(profile);
    this.#context = {
      profile,
      settings: this.#settings,
      library: this.library,
      geometry: templateGeometry(profile.imageWidth, profile.imageHeight, profile.templateSize),
      buffers: new Array<Uint8Array | undefined>(profile.characterBuffers + 1).fill(undefined),
      random: mulberry32(options.randomSeed ?? randomInt(0x1_0000_0000)),
      image: undefined,
      matched: false,
      aura: undefined,
      acknowledge: (confirmation, parameters) => {
        this.#acknowledge(confirmation, parameters);
      },
      sendData: (data) => {
        this.#sendData(data);
      },
      receiveData: (length, done) => {
        this.#reception = { transfer: new DataReception(length, this.#settings.packetSize), done };
      },
      capture: () => sensor.capture(),
      restart: () => {
        this.powerOn();
      },
    };
    this.#parser = new FrameParser({
      onFrame: (frame) => {
        this.#busy.run(() => {
          this.#onFrame(frame);
        });
      },
      onDiscard: (discard) => {
        this.#busy.run(() => {
          this.#onDiscard(discard);
        });
      },
    });
  }

  /** The address it answers to; SetAddr changes it. */
  get address(): number {
    return this.#settings.address;
  }

  /** The line speed now; SetSysPara parameter 4 changes it from the byte after its acknowledge. */
  get baud(): number {
    return this.#settings.baud;
  }

  get packetSize(): number {
    return this.#settings.packetSize;
  }

  get securityLevel(): number {
    return this.#settings.securityLevel;
  }

  /** The R503 ring as last configured; undefined while the firmware runs its own pattern. */
  get aura(): AuraState | undefined {
    return this.#context.aura;
  }

  get fingerPlaced(): boolean {
    return this.#source.current() !== undefined;
  }

  /** Bytes from the host, in whatever pieces the line delivered them. */
  receive(chunk: Uint8Array): void {
    // Still starting up: nothing is listening on the UART yet.
    if (this.#starting) return;
    const copy = chunk.slice();
    this.#busy.run(() => {
      this.#parser.push(copy);
    });
  }

  /** Drops a partly received frame, as the real module's receive timeout would when the line changes hands. */
  resetLine(): void {
    this.#parser.reset();
  }

  /** Returns an unsubscribe function. */
  onTransmit(listener: (bytes: Uint8Array) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Returns an unsubscribe function. */
  onLineEvent(listener: (event: LineEvent) => void): () => void {
    this.#lineListeners.add(listener);
    return () => this.#lineListeners.delete(listener);
  }

  /** Only with the built-in platen; a module given a FingerSource takes its fingers from there. */
  placeFinger(image: GreyImage): void {
    this.#requirePlaten().placeFinger(image);
  }

  liftFinger(): void {
    this.#requirePlaten().liftFinger();
  }

  /**
   * Power comes (back) on: RAM is cleared (image, character buffers, password
   * verification, any transfer or delayed reply); flash (library, address, password,
   * parameters) stays. An R503 is deaf for startupMs and then sends 0x55.
   */
  powerOn(): void {
    this.dispose();
    this.#busy.reset();
    this.#reception = undefined;
    this.#parser.reset();
    const context = this.#context;
    context.image = undefined;
    context.buffers.fill(undefined);
    context.matched = false;
    context.aura = undefined;
    this.#settings.resetSession();
    if (!this.profile.readySignal) return;
    this.#starting = true;
    this.#later(this.#startupMs, () => {
      this.#starting = false;
      this.#emit(Uint8Array.of(READY_SIGNAL));
    });
  }

  /** Cancels pending timers (delayed replies, the ready signal). */
  dispose(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#starting = false;
  }

  #requirePlaten(): Platen {
    if (!this.#platen)
      throw new Error(`this simulated ${this.profile.model} takes its fingers from a FingerSource`);
    return this.#platen;
  }

  #later(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      task();
    }, ms);
    this.#timers.add(timer);
  }

  #onDiscard(discard: ParserDiscard): void {
    if (discard.reason !== "bad-checksum" || discard.address !== this.#settings.address) return;
    this.#reception = undefined;
    this.#acknowledge(Confirmation.PacketReceiveError);
  }

  #onFrame(frame: R30xFrame): void {
    // Like the real module: frames for another address get no answer.
    if (frame.address !== this.#settings.address) return;
    if (frame.pid === Pid.Data || frame.pid === Pid.EndData) {
      this.#onDataPacket(frame);
      return;
    }
    // A command abandons any transfer the host did not finish; stray acknowledges are ignored.
    if (frame.pid !== Pid.Command) return;
    this.#reception = undefined;
    const instruction = frame.payload[0] ?? 0;
    const args = frame.payload.subarray(1);
    this.#commandCount++;
    const actions = this.#faults?.onCommand(instruction, this.#commandCount) ?? [];
    if (actions.length === 0) {
      this.#execute(instruction, args);
      return;
    }
    this.#executeWithFaults(instruction, args, actions);
  }

  #onDataPacket(frame: R30xFrame): void {
    const reception = this.#reception;
    if (!reception) return;
    const progress = reception.transfer.accept(frame);
    if (progress === "more") return;
    this.#reception = undefined;
    if (progress === "complete") reception.done(reception.transfer.data);
  }

  #execute(instruction: number, args: Uint8Array): void {
    const spec = this.#instructions.get(instruction);
    if (!this.#settings.verified && spec?.withoutPassword !== true) {
      this.#acknowledge(Confirmation.PasswordNotVerified);
      return;
    }
    if (!spec) {
      this.#acknowledge(this.profile.unknownInstructionReply);
      return;
    }
    if (args.length !== spec.argumentLength) {
      this.#acknowledge(Confirmation.PacketReceiveError);
      return;
    }
    spec.run(this.#context, args);
  }

  #executeWithFaults(instruction: number, args: Uint8Array, actions: FaultAction[]): void {
    for (const action of actions) {
      if (action.kind === "unplug") {
        for (const listener of [...this.#lineListeners]) listener(action);
        return;
      }
      if (action.kind === "no-reply") return;
    }
    const errorCode = actions.find((action) => action.kind === "error-code");
    const damaging = actions.filter((action) => REPLY_FAULTS.has(action.kind));
    this.#capturedReply = damaging.length > 0 ? [] : undefined;
    try {
      if (errorCode) this.#acknowledge(errorCode.code);
      else this.#execute(instruction, args);
    } finally {
      const frames = this.#capturedReply ?? [];
      this.#capturedReply = undefined;
      if (damaging.length > 0) this.#sendDamaged(frames, damaging);
    }
  }

  #sendDamaged(frames: Uint8Array[], actions: FaultAction[]): void {
    const bytes = this.#faults?.damageReply(frames, actions) ?? new Uint8Array(0);
    const delay = actions.find((action) => action.kind === "delay");
    if (!delay) {
      this.#emit(bytes);
      return;
    }
    this.#busy.begin();
    this.#later(delay.ms, () => {
      this.#emit(bytes);
      this.#busy.end();
    });
  }

  #sendData(data: Uint8Array): void {
    const packetSize = this.#settings.packetSize;
    for (let offset = 0; offset < data.length; offset += packetSize) {
      const end = Math.min(offset + packetSize, data.length);
      this.#transmit({
        address: this.#settings.address,
        pid: end === data.length ? Pid.EndData : Pid.Data,
        payload: data.subarray(offset, end),
      });
    }
  }

  #acknowledge(confirmation: number, parameters: Uint8Array = new Uint8Array(0)): void {
    const payload = new Uint8Array(1 + parameters.length);
    payload[0] = confirmation;
    payload.set(parameters, 1);
    this.#transmit({ address: this.#settings.address, pid: Pid.Acknowledge, payload });
  }

  #transmit(frame: R30xFrame): void {
    const bytes = encodeFrame(frame);
    if (this.#capturedReply) this.#capturedReply.push(bytes);
    else this.#emit(bytes);
  }

  #emit(bytes: Uint8Array): void {
    for (const listener of [...this.#listeners]) listener(bytes);
  }
}

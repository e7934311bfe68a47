import { R503Commands } from "./commands-r503.js";

export type { AuraSetting } from "./aura.js";
export type { CaptureResult, FeatureResult } from "./commands-capture.js";
export {
  DEFAULT_COMMAND_TIMEOUT_MS,
  RETRANSMISSIONS,
  transferTimeoutMs,
  type CharBuffer,
  type CommandOptions,
  type R30xCommandsOptions,
} from "./commands-core.js";
export {
  CLASSIC_TEMPLATE_BYTES,
  type MatchResult,
  type MergeResult,
  type PageRange,
  type SearchResult,
} from "./commands-library.js";
export type { CaptureExResult, SensorHealth } from "./commands-r503.js";
export type {
  IndexPage,
  PacketSize,
  SecurityLevel,
  SystemParameterSetting,
} from "./commands-system.js";
export type { ProductInfo } from "./product-info.js";

/**
 * The whole R30x instruction set, one method per instruction, each resolving with
 * a typed result.
 *
 * Outcomes that describe the finger or the library rather than the module are
 * values, not errors: no finger, a poor or messy image, no match, not found, two
 * prints that will not merge, a faulty-sensor verdict. At a gate they are the
 * ordinary flow (poll again, ask for another placement, report "not enrolled") and
 * the caller branches on them; making them exceptions would put normal control
 * flow through catch blocks and blur them with real failures. Every other
 * confirmation code is a "device" SensorError carrying the code, and a reply that
 * makes no sense is a "protocol" one. Arguments outside what the wire can carry
 * are a RangeError before anything is sent.
 */
export class R30xCommands extends R503Commands {}

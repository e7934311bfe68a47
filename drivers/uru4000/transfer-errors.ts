import { SensorError } from "../sensor.js";
import { FrameError } from "./image-frame.js";
import { isUsbTransferError } from "./usb-transport.js";

/**
 * The reader was reset after it stopped answering and still does not: it needs a person
 * (replug, or replace), not another retry of the same thing.
 */
export class ReaderFaultyError extends SensorError {
  constructor(message: string, options?: ErrorOptions) {
    super("no-reply", message, undefined, options);
  }
}

/** A transport or frame failure as the SensorError the agent understands. */
export function toSensorError(error: unknown, context: string): SensorError {
  if (error instanceof SensorError) return error;
  if (error instanceof FrameError) {
    return new SensorError("protocol", `${context}: ${error.message}`, undefined, { cause: error });
  }
  if (isUsbTransferError(error)) {
    const kind = (
      {
        timeout: "no-reply",
        stall: "device",
        disconnected: "disconnected",
        overflow: "protocol",
        aborted: "aborted",
        io: "protocol",
      } as const
    )[error.kind];
    return new SensorError(kind, `${context}: ${error.message}`, undefined, { cause: error });
  }
  if (error instanceof Error && error.name === "AbortError") {
    return new SensorError("aborted", `${context}: ${error.message}`, undefined, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new SensorError("protocol", `${context}: ${detail}`, undefined, { cause: error });
}

/** What a sensor's supervisor should report while the reader cannot be opened. */
export function uru4000OpenFailureStatus(error: unknown): "missing" | "faulty" | undefined {
  if (error instanceof ReaderFaultyError) return "faulty";
  if (error instanceof SensorError && error.kind === "disconnected") return "missing";
  return undefined;
}

import type { AgentLogLine } from "./agent-process.js";

/** The record lifecycle events the agent logs, in the order a record passes them. */
export const RECORD_EVENTS = [
  "record-captured",
  "record-queued",
  "record-delivered",
  "record-acknowledged",
] as const;
export type RecordEvent = (typeof RECORD_EVENTS)[number];

export function isRecordEvent(value: unknown): value is RecordEvent {
  return typeof value === "string" && (RECORD_EVENTS as readonly string[]).includes(value);
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** The tail of a UUIDv7 (its random part), enough to tell records apart on screen. */
function shortId(id: unknown): string {
  return typeof id === "string" ? `…${id.slice(-8)}` : "?";
}

function describeFingers(fingers: unknown): string {
  if (!Array.isArray(fingers)) return "";
  const parts = fingers.map((finger: { position?: number; score?: number; outcome?: string }) =>
    finger.outcome === "captured"
      ? `#${finger.position ?? "?"} q${finger.score ?? "?"}`
      : `#${finger.position ?? "?"} ${finger.outcome ?? "?"}`,
  );
  return parts.join(", ");
}

/** One readable console line per lifecycle event. */
export function formatRecordEvent(event: RecordEvent, line: AgentLogLine): string {
  const id = shortId(line["recordId"]);
  switch (event) {
    case "record-captured":
      return `${clock()}  captured      ${id}  ${String(line["outcome"])}: ${describeFingers(line["fingers"])}`;
    case "record-queued":
      return `${clock()}  queued        ${id}  seq ${String(line["seq"])}, ${Math.round(Number(line["payloadBytes"]) / 1024)} KiB in SQLite`;
    case "record-delivered":
      return `${clock()}  delivered     ${id}  to the broker (${Math.round(Number(line["wireBytes"]) / 1024)} KiB on the wire)`;
    case "record-acknowledged":
      return `${clock()}  acknowledged  ${id}  stored by the centre, deleted from the queue`;
  }
}

export function formatNote(text: string): string {
  return `${clock()}  ${text}`;
}

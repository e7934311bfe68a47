import type { ByteLink } from "./byte-link.js";
import { openSerialLink } from "./serial-link.js";
import { openTcpLink } from "./tcp-link.js";

const TCP_PREFIX = "tcp://";

/**
 * `tcp://host:port` reaches a serial-over-TCP bridge, whose own line speed is set
 * at the bridge, so `baud` only applies to local serial devices.
 */
export function openByteLink(path: string, baud: number, signal?: AbortSignal): Promise<ByteLink> {
  if (path.toLowerCase().startsWith(TCP_PREFIX)) return openTcpLink(path, signal);
  return openSerialLink(path, baud, signal);
}

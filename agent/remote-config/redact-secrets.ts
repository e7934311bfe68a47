/**
 * A configuration (or anything built from one) as it may leave the terminal: secret
 * values replaced, credentials cut out of URLs, binary values replaced by their length.
 * Key files are referred to by path and the paths stay: they say where, not what.
 */

export const REDACTED = "[redacted]";

const SECRET_KEY = /password|passphrase|secret|token|credential|private.?key|api.?key/i;
const MAX_DEPTH = 32;

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return `[binary ${value.byteLength} bytes]`;
  }
  if (typeof value === "string") return redactUrlCredentials(value);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) && inner !== undefined && inner !== null
        ? REDACTED
        : redactSecrets(inner, depth + 1);
  }
  return out;
}

/** mqtts://user:pass@host becomes mqtts://user:[redacted]@host; other strings are unchanged. */
function redactUrlCredentials(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(text)) return text;
  try {
    const url = new URL(text);
    if (url.password === "") return text;
    url.password = "redacted";
    return url.toString().replace(":redacted@", `:${REDACTED}@`);
  } catch {
    return text;
  }
}

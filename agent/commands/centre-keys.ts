import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";

/** A centre command key that cannot be used; the message names the file, never its content. */
export class CentreKeyError extends Error {
  override readonly name = "CentreKeyError";
}

export interface CentreKey {
  readonly keyId: string;
  /** True when `signature` is this key's Ed25519 signature of `data`. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

/** At most two: the key in use and, during a rotation, its successor (or predecessor). */
export const MAX_CENTRE_KEYS = 2;

/**
 * The centre's public command keys by key id. A terminal holds public keys only: a
 * file holding a private key is refused, since a terminal that could sign commands
 * would be a master key in the field.
 */
export class CentreKeys {
  readonly #keys: ReadonlyMap<string, CentreKey>;

  constructor(keys: readonly CentreKey[]) {
    if (keys.length > MAX_CENTRE_KEYS) {
      throw new CentreKeyError(
        `at most ${MAX_CENTRE_KEYS} centre command keys, not ${keys.length}`,
      );
    }
    this.#keys = new Map(keys.map((key) => [key.keyId, key]));
  }

  /** Reads each key id's PEM file (SubjectPublicKeyInfo, Ed25519). */
  static fromFiles(files: Readonly<Record<string, string>>): CentreKeys {
    return new CentreKeys(
      Object.entries(files).map(([keyId, path]) => {
        let pem: string;
        try {
          pem = readFileSync(path, "utf8");
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? "error";
          throw new CentreKeyError(`centre command key ${keyId}: cannot read ${path} (${code})`);
        }
        return centreKeyFromPem(keyId, pem, path);
      }),
    );
  }

  get(keyId: string): CentreKey | undefined {
    return this.#keys.get(keyId);
  }

  get keyIds(): readonly string[] {
    return [...this.#keys.keys()];
  }
}

/** One Ed25519 public key from its PEM text; `source` names it in errors. */
export function centreKeyFromPem(keyId: string, pem: string, source = "PEM"): CentreKey {
  if (!/-----BEGIN PUBLIC KEY-----/.test(pem) || /PRIVATE KEY-----/.test(pem)) {
    throw new CentreKeyError(
      `centre command key ${keyId}: ${source} must hold one public key ("BEGIN PUBLIC KEY") and no private key`,
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch {
    throw new CentreKeyError(`centre command key ${keyId}: ${source} is not a readable public key`);
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new CentreKeyError(
      `centre command key ${keyId}: ${source} is ${key.asymmetricKeyType ?? "an unknown"} key, expected Ed25519`,
    );
  }
  return {
    keyId,
    verify: (data, signature) => {
      try {
        return verify(null, data, key, signature);
      } catch {
        return false;
      }
    },
  };
}

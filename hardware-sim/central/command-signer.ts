import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  type KeyObject,
} from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CommandKind } from "../../agent/commands/command-message.js";
import {
  encodeSignedEnvelope,
  signingInput,
  type SignatureDomain,
} from "../../agent/commands/signed-envelope.js";

export interface CommandToSign {
  readonly deviceId: string;
  readonly kind: CommandKind;
  readonly params?: Record<string, unknown>;
  /** 60 s unless set. */
  readonly lifetimeMs?: number;
  readonly issuedAt?: Date;
  readonly commandId?: string;
  readonly nonce?: string;
}

export interface SignedCommand {
  readonly commandId: string;
  /** What to publish on the device's commands topic. */
  readonly message: Buffer;
}

export interface DesiredConfigToSign {
  readonly deviceId: string;
  /** Must exceed the generation the terminal last handled. */
  readonly generation: number;
  /** The agent configuration, as a config file would hold it. */
  readonly config: unknown;
  readonly issuedAt?: Date;
}

/**
 * The centre's command key and the signing of what it sends terminals: commands and
 * desired configurations (docs/commands-and-config.md). For the reference centre,
 * tests and the local stack; a real centre keeps this key in an HSM.
 */
export class CommandSigner {
  readonly keyId: string;
  readonly #privateKey: KeyObject;

  constructor(keyId: string, privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== "ed25519") {
      throw new Error(`centre command key ${keyId} must be Ed25519`);
    }
    this.keyId = keyId;
    this.#privateKey = privateKey;
  }

  static generate(keyId: string): CommandSigner {
    return new CommandSigner(keyId, generateKeyPairSync("ed25519").privateKey);
  }

  /** Loads the private key (PKCS#8 PEM), or creates and saves one (0600) when the file is absent. */
  static loadOrCreate(keyId: string, privateKeyFile: string): CommandSigner {
    let pem: string;
    try {
      pem = readFileSync(privateKeyFile, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      const signer = CommandSigner.generate(keyId);
      mkdirSync(dirname(privateKeyFile), { recursive: true, mode: 0o700 });
      writeFileSync(privateKeyFile, signer.#privateKey.export({ type: "pkcs8", format: "pem" }), {
        mode: 0o600,
        flag: "wx",
      });
      return signer;
    }
    return new CommandSigner(keyId, createPrivateKey(pem));
  }

  /** The public key a terminal configures under this key id (SPKI PEM). */
  publicKeyPem(): string {
    return createPublicKey(this.#privateKey).export({ type: "spki", format: "pem" }).toString();
  }

  /** Writes the public key PEM file a terminal's commands.centreKeys points at. */
  writePublicKey(path: string): void {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, this.publicKeyPem(), { mode: 0o644 });
  }

  signCommand(command: CommandToSign): SignedCommand {
    const issuedAt = command.issuedAt ?? new Date();
    const commandId = command.commandId ?? randomUUID();
    const body = {
      v: 1,
      commandId,
      deviceId: command.deviceId,
      kind: command.kind,
      params: command.params ?? {},
      issuedAt: issuedAt.toISOString(),
      expiresAt: new Date(issuedAt.getTime() + (command.lifetimeMs ?? 60_000)).toISOString(),
      nonce: command.nonce ?? randomBytes(16).toString("base64url"),
      keyId: this.keyId,
    };
    return { commandId, message: this.signBody("command", Buffer.from(JSON.stringify(body))) };
  }

  signDesiredConfig(desired: DesiredConfigToSign): Buffer {
    const body = {
      v: 1,
      deviceId: desired.deviceId,
      generation: desired.generation,
      issuedAt: (desired.issuedAt ?? new Date()).toISOString(),
      keyId: this.keyId,
      config: desired.config,
    };
    return this.signBody("desired-config", Buffer.from(JSON.stringify(body)));
  }

  /** Signs arbitrary body bytes: for tests that need a well-signed but otherwise wrong message. */
  signBody(domain: SignatureDomain, body: Uint8Array): Buffer {
    const signature = sign(null, signingInput(domain, body), this.#privateKey);
    return encodeSignedEnvelope(this.keyId, body, signature);
  }
}

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  webcrypto,
  type KeyObject,
} from "node:crypto";
import * as x509 from "./x509.js";

export const KEY_ALGORITHMS = ["ecdsa-p256", "ed25519"] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** A new private key, PKCS#8 PEM, made here: it is written on the device and never sent. */
export function generateDeviceKey(algorithm: KeyAlgorithm): string {
  const { privateKey } =
    algorithm === "ed25519"
      ? generateKeyPairSync("ed25519")
      : generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return privateKey.export({ type: "pkcs8", format: "pem" }).toString();
}

/** Which supported algorithm a key is, or an error for any other kind of key. */
export function keyAlgorithmOf(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ecdsa-p256";
  throw new Error(
    `unsupported device key (${key.asymmetricKeyType ?? "unknown"}); expected ECDSA P-256 or Ed25519`,
  );
}

function webcryptoAlgorithms(algorithm: KeyAlgorithm): {
  key: webcrypto.EcKeyImportParams | webcrypto.Algorithm;
  signing: webcrypto.EcdsaParams | webcrypto.Algorithm;
} {
  return algorithm === "ed25519"
    ? { key: { name: "Ed25519" }, signing: { name: "Ed25519" } }
    : {
        key: { name: "ECDSA", namedCurve: "P-256" },
        signing: { name: "ECDSA", hash: "SHA-256" },
      };
}

/**
 * A PKCS#10 request for the device's key with the device id as its common name, signed
 * by that key (the centre checks the signature: proof the requester holds the key).
 */
export async function buildCsr(privateKeyPem: string, deviceId: string): Promise<string> {
  const privateKey = createPrivateKey(privateKeyPem);
  const algorithm = webcryptoAlgorithms(keyAlgorithmOf(privateKey));
  const keys = {
    privateKey: await webcrypto.subtle.importKey(
      "pkcs8",
      privateKey.export({ type: "pkcs8", format: "der" }),
      algorithm.key,
      false,
      ["sign"],
    ),
    publicKey: await webcrypto.subtle.importKey(
      "spki",
      createPublicKey(privateKey).export({ type: "spki", format: "der" }),
      algorithm.key,
      true,
      ["verify"],
    ),
  };
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: [{ CN: [deviceId] }], keys, signingAlgorithm: algorithm.signing },
    webcrypto,
  );
  return csr.toString("pem");
}

import { randomBytes, webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import { mkdir, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import * as x509 from "../../provisioning/identity/x509.js";

/** A certificate and its private key, both PEM; the key is PKCS#8. */
export interface PemCredential {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServerCertificateOptions {
  readonly commonName: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly validDays?: number;
}

export interface SignCsrOptions {
  /** Refuse a request whose subject common name is not this (the enrolling device's id). */
  readonly expectedCommonName?: string;
  readonly validDays?: number;
}

// Node's global WebCrypto is the same object as node:crypto's webcrypto; passing it
// explicitly keeps the library off any provider another module may have registered.
const crypto = webcrypto;
const EC_KEY: webcrypto.EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const EC_SIGNING: webcrypto.EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 86_400_000;
// Certificates start a little in the past so a terminal whose clock lags the centre's
// by a few minutes still accepts a certificate issued a moment ago.
const BACKDATE_MS = 5 * 60_000;

function validity(validDays: number): { notBefore: Date; notAfter: Date } {
  if (!Number.isFinite(validDays) || validDays <= 0) {
    throw new RangeError(`validDays must be a positive number, got ${validDays}`);
  }
  const now = Date.now();
  return { notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + validDays * DAY_MS) };
}

/** A positive 128-bit serial (the top bit cleared so DER never reads it as negative). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString("hex");
}

/** RFC 4514 name with one CN; commas and the like are escaped by building it from JSON. */
function commonNameSubject(commonName: string): x509.JsonName {
  if (commonName.length === 0 || commonName.length > 64) {
    throw new RangeError("a common name is 1 to 64 characters");
  }
  return [{ CN: [commonName] }];
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

/** The common name of a certificate request's or certificate's subject, if it has one. */
function subjectCommonName(name: x509.Name): string | undefined {
  const values = name.getField("CN");
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The reference centre's certificate authority: a self-signed ECDSA P-256 root that
 * issues the broker's server certificate and the terminals' client certificates.
 * For development and tests only: its key lives in memory.
 */
export class TestCertificateAuthority {
  readonly certPem: string;
  readonly #certificate: x509.X509Certificate;
  readonly #keys: CryptoKeyPair;

  private constructor(certificate: x509.X509Certificate, keys: CryptoKeyPair) {
    this.#certificate = certificate;
    this.#keys = keys;
    this.certPem = certificate.toString("pem");
  }

  static async create(
    options: { commonName?: string; validDays?: number } = {},
  ): Promise<TestCertificateAuthority> {
    const keys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
    const certificate = await x509.X509CertificateGenerator.createSelfSigned(
      {
        serialNumber: serialNumber(),
        name: commonNameSubject(options.commonName ?? "Basma Test CA"),
        ...validity(options.validDays ?? 3650),
        keys,
        signingAlgorithm: EC_SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(
            x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
            true,
          ),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
        ],
      },
      crypto,
    );
    return new TestCertificateAuthority(certificate, keys);
  }

  async issueServer(options: ServerCertificateOptions): Promise<PemCredential> {
    const names: x509.JsonGeneralNames = [
      ...(options.dnsNames ?? []).map((value) => ({ type: "dns" as const, value })),
      ...(options.ipAddresses ?? []).map((value) => {
        if (isIP(value) === 0) throw new RangeError(`not an IP address: ${value}`);
        return { type: "ip" as const, value };
      }),
    ];
    return this.#issueWithNewKey(options.commonName, options.validDays ?? 825, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
    ]);
  }

  async issueClient(
    commonName: string,
    options: { validDays?: number } = {},
  ): Promise<PemCredential> {
    return this.#issueWithNewKey(commonName, options.validDays ?? 365, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
  }

  /**
   * Issue a client certificate for the key in a PKCS#10 request. The request must carry
   * a valid signature by that key (proof the requester holds it) and one common name.
   */
  async signCsr(csrPem: string, options: SignCsrOptions = {}): Promise<string> {
    let request: x509.Pkcs10CertificateRequest;
    try {
      request = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      throw new Error("not a PEM certificate signing request");
    }
    if (!(await request.verify(crypto))) {
      throw new Error("the certificate signing request's signature does not verify");
    }
    const commonName = subjectCommonName(request.subjectName);
    if (commonName === undefined) {
      throw new Error("the certificate signing request has no single common name");
    }
    if (options.expectedCommonName !== undefined && commonName !== options.expectedCommonName) {
      throw new Error(
        `the certificate signing request is for ${JSON.stringify(commonName)}, expected ${JSON.stringify(options.expectedCommonName)}`,
      );
    }
    const certificate = await this.#issue(commonName, request.publicKey, options.validDays ?? 365, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ]);
    return certificate.toString("pem");
  }

  /** Write the CA certificate as `ca.pem` in `dir` (created if missing). */
  async writeFiles(dir: string): Promise<{ ca: string }> {
    await mkdir(dir, { recursive: true });
    const ca = join(dir, "ca.pem");
    await writeFile(ca, this.certPem, { mode: 0o644 });
    return { ca };
  }

  async #issueWithNewKey(
    commonName: string,
    validDays: number,
    extensions: x509.Extension[],
  ): Promise<PemCredential> {
    const keys = await crypto.subtle.generateKey(EC_KEY, true, ["sign", "verify"]);
    const certificate = await this.#issue(commonName, keys.publicKey, validDays, extensions);
    return { certPem: certificate.toString("pem"), keyPem: await pkcs8Pem(keys.privateKey) };
  }

  async #issue(
    commonName: string,
    publicKey: CryptoKey | x509.PublicKey,
    validDays: number,
    extensions: x509.Extension[],
  ): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: commonNameSubject(commonName),
        issuer: this.#certificate.subjectName,
        ...validity(validDays),
        publicKey,
        signingKey: this.#keys.privateKey,
        signingAlgorithm: EC_SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          ...extensions,
          await x509.SubjectKeyIdentifierExtension.create(publicKey, false, crypto),
          await x509.AuthorityKeyIdentifierExtension.create(this.#keys.publicKey, false, crypto),
        ],
      },
      crypto,
    );
  }
}

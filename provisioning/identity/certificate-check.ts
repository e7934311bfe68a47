import { createHash, createPrivateKey, X509Certificate } from "node:crypto";

/** SHA-256 of a certificate's DER, lower-case hex: what a bootstrap claim pins the CA by. */
export function certificateSha256(certPem: string): string {
  return createHash("sha256").update(new X509Certificate(certPem).raw).digest("hex");
}

function parseCertificate(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${what} is not a PEM certificate`);
  }
}

/** The subject's common name, e.g. "gate-07" from "CN=gate-07". */
export function commonNameOf(certificate: X509Certificate): string | undefined {
  const match = /^CN=(.*)$/m.exec(certificate.subject);
  return match?.[1];
}

export interface IssuedCredentialCheck {
  readonly certPem: string;
  readonly caPem: string;
  readonly privateKeyPem: string;
  readonly deviceId: string;
  /** The CA's SHA-256 fingerprint the terminal was told to expect, when it was. */
  readonly expectedCaSha256?: string | undefined;
  readonly now?: Date;
}

/**
 * Everything a terminal checks before it trusts what the centre sent: the CA is a CA
 * (and the pinned one, when pinned), the certificate is signed by it, names this device,
 * is for this device's own key, is for client authentication, and is valid now.
 * Throws an Error saying which check failed.
 */
export function checkIssuedCredential(check: IssuedCredentialCheck): {
  validTo: string;
  serialNumber: string;
} {
  const ca = parseCertificate(check.caPem, "the CA certificate");
  const certificate = parseCertificate(check.certPem, "the device certificate");
  if (!ca.ca) throw new Error("the CA certificate is not a CA certificate");
  if (check.expectedCaSha256 !== undefined) {
    const actual = certificateSha256(check.caPem);
    if (actual !== check.expectedCaSha256.toLowerCase().replaceAll(":", ""))
      throw new Error(`the CA certificate's fingerprint ${actual} is not the one expected`);
  }
  if (!certificate.checkIssued(ca) || !certificate.verify(ca.publicKey))
    throw new Error("the device certificate is not signed by the CA");
  const commonName = commonNameOf(certificate);
  if (commonName !== check.deviceId)
    throw new Error(
      `the device certificate names ${JSON.stringify(commonName)}, not this device (${check.deviceId})`,
    );
  if (!certificate.checkPrivateKey(createPrivateKey(check.privateKeyPem)))
    throw new Error("the device certificate is not for this device's key");
  // Undefined at run time when the certificate has no extended key usage.
  const usages = certificate.keyUsage as string[] | undefined;
  if (usages !== undefined && !usages.includes("1.3.6.1.5.5.7.3.2"))
    throw new Error("the device certificate is not for client authentication");
  const now = (check.now ?? new Date()).getTime();
  if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo))
    throw new Error(
      `the device certificate is not valid now (${certificate.validFrom} to ${certificate.validTo}); check the clock`,
    );
  return {
    validTo: new Date(certificate.validTo).toISOString(),
    serialNumber: certificate.serialNumber,
  };
}

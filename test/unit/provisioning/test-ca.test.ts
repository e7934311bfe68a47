import { X509Certificate, createPrivateKey, webcrypto } from "node:crypto";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, createServer, type TLSSocket } from "node:tls";
import * as x509 from "../../../provisioning/identity/x509.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestCertificateAuthority } from "../../../hardware-sim/central/test-ca.js";

interface HandshakeResult {
  readonly ok: boolean;
  readonly error?: string;
  readonly peerCommonName?: string;
}

/** One TLS handshake on loopback with mutual authentication; reports the server's view. */
async function handshake(options: {
  serverCa: string;
  server: { certPem: string; keyPem: string };
  clientCa: string;
  client?: { certPem: string; keyPem: string };
}): Promise<{ client: HandshakeResult; server: HandshakeResult }> {
  let serverResult: HandshakeResult = { ok: false, error: "no connection" };
  const server = createServer(
    {
      ca: options.serverCa,
      cert: options.server.certPem,
      key: options.server.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket: TLSSocket) => {
      const subject = socket.getPeerCertificate().subject as { CN?: string } | undefined;
      serverResult = {
        ok: socket.authorized,
        ...(subject?.CN ? { peerCommonName: subject.CN } : {}),
      };
      socket.end("hello");
    },
  );
  server.on("tlsClientError", (error: Error) => {
    serverResult = { ok: false, error: error.message };
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const client = await new Promise<HandshakeResult>((resolve) => {
    const socket = connect({
      host: "127.0.0.1",
      port,
      servername: "broker.test",
      ca: options.clientCa,
      ...(options.client ? { cert: options.client.certPem, key: options.client.keyPem } : {}),
    });
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    socket.on("end", () => resolve({ ok: received === "hello" }));
    socket.on("error", (error: Error) => resolve({ ok: false, error: error.message }));
    socket.on("close", () => resolve({ ok: received === "hello", error: "closed" }));
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { client, server: serverResult };
}

describe("TestCertificateAuthority", () => {
  let ca: TestCertificateAuthority;
  let otherCa: TestCertificateAuthority;
  let server: { certPem: string; keyPem: string };

  beforeAll(async () => {
    ca = await TestCertificateAuthority.create({ commonName: "Basma Test CA" });
    otherCa = await TestCertificateAuthority.create({ commonName: "Somebody Else CA" });
    server = await ca.issueServer({
      commonName: "broker.test",
      dnsNames: ["broker.test", "localhost"],
      ipAddresses: ["127.0.0.1"],
    });
  });

  it("makes a self-signed CA certificate that Node recognises as a CA", () => {
    const certificate = new X509Certificate(ca.certPem);
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toContain("CN=Basma Test CA");
    expect(certificate.verify(certificate.publicKey)).toBe(true);
  });

  it("issues a server certificate with its names, signed by the CA, with a PKCS#8 key", () => {
    const certificate = new X509Certificate(server.certPem);
    expect(certificate.ca).toBe(false);
    expect(certificate.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(certificate.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(certificate.subjectAltName).toContain("DNS:broker.test");
    expect(certificate.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(certificate.keyUsage).toContain("1.3.6.1.5.5.7.3.1");
    expect(server.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(certificate.checkPrivateKey(createPrivateKey(server.keyPem))).toBe(true);
  });

  it("completes a mutually authenticated TLS handshake with issued certificates", async () => {
    const client = await ca.issueClient("terminal-007");
    const result = await handshake({ serverCa: ca.certPem, server, clientCa: ca.certPem, client });
    expect(result.client).toEqual({ ok: true });
    expect(result.server).toEqual({ ok: true, peerCommonName: "terminal-007" });
  });

  it("refuses a client certificate from another CA", async () => {
    const stranger = await otherCa.issueClient("terminal-007");
    const result = await handshake({
      serverCa: ca.certPem,
      server,
      clientCa: ca.certPem,
      client: stranger,
    });
    expect(result.client.ok).toBe(false);
    expect(result.server.ok).toBe(false);
  });

  it("refuses a client without a certificate", async () => {
    const result = await handshake({ serverCa: ca.certPem, server, clientCa: ca.certPem });
    expect(result.client.ok).toBe(false);
  });

  it("lets a client refuse a server certificate from another CA", async () => {
    const client = await ca.issueClient("terminal-007");
    const result = await handshake({
      serverCa: ca.certPem,
      server,
      clientCa: otherCa.certPem,
      client,
    });
    expect(result.client.ok).toBe(false);
    expect(result.client.error).toMatch(/self.signed|unable to (get|verify)/i);
  });

  describe("signCsr", () => {
    async function csrFor(
      commonName: string,
    ): Promise<{ csrPem: string; keys: webcrypto.CryptoKeyPair }> {
      const keys = await webcrypto.subtle.generateKey(
        { name: "ECDSA", namedCurve: "P-256" },
        true,
        ["sign", "verify"],
      );
      const csr = await x509.Pkcs10CertificateRequestGenerator.create(
        {
          name: [{ CN: [commonName] }],
          keys,
          signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
        },
        webcrypto,
      );
      return { csrPem: csr.toString("pem"), keys };
    }

    it("issues a client certificate for the request's own key", async () => {
      const { csrPem, keys } = await csrFor("terminal-042");
      const certPem = await ca.signCsr(csrPem, { expectedCommonName: "terminal-042" });
      const certificate = new X509Certificate(certPem);
      expect(certificate.subject).toBe("CN=terminal-042");
      expect(certificate.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
      expect(certificate.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);
      const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey));
      expect(certificate.publicKey.export({ type: "spki", format: "der" }).equals(spki)).toBe(true);
    });

    it("signs requests for Ed25519 keys", async () => {
      const keys = await webcrypto.subtle.generateKey({ name: "Ed25519" }, true, [
        "sign",
        "verify",
      ]);
      const csr = await x509.Pkcs10CertificateRequestGenerator.create(
        { name: [{ CN: ["terminal-ed"] }], keys, signingAlgorithm: { name: "Ed25519" } },
        webcrypto,
      );
      const certPem = await ca.signCsr(csr.toString("pem"), { expectedCommonName: "terminal-ed" });
      expect(new X509Certificate(certPem).publicKey.asymmetricKeyType).toBe("ed25519");
    });

    it("refuses a request for another common name", async () => {
      const { csrPem } = await csrFor("terminal-999");
      await expect(ca.signCsr(csrPem, { expectedCommonName: "terminal-042" })).rejects.toThrow(
        /"terminal-999", expected "terminal-042"/,
      );
    });

    it("refuses a request whose signature does not verify", async () => {
      const { csrPem } = await csrFor("terminal-042");
      const der = Buffer.from(x509.PemConverter.decodeFirst(csrPem));
      der[der.length - 5] = (der[der.length - 5] ?? 0) ^ 0xff;
      const tampered = x509.PemConverter.encode(der, "CERTIFICATE REQUEST");
      await expect(ca.signCsr(tampered)).rejects.toThrow();
    });

    it("refuses text that is not a request", async () => {
      await expect(ca.signCsr("hello")).rejects.toThrow(/not a PEM certificate signing request/);
    });
  });

  describe("writeFiles", () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), "basma-test-ca-"));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("writes ca.pem, world-readable, in a folder it creates", async () => {
      const { ca: path } = await ca.writeFiles(join(dir, "pki"));
      expect(path).toBe(join(dir, "pki", "ca.pem"));
      expect(await readFile(path, "utf8")).toBe(ca.certPem);
      expect((await stat(path)).mode & 0o777).toBe(0o644);
    });
  });
});

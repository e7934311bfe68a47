import type { PemCredential } from "../../hardware-sim/central/test-ca.js";
import { startMosquitto, type StartedMosquitto } from "../../hardware-sim/broker/mosquitto.js";

export interface MosquittoTlsOptions {
  /** PEM of the CA that client certificates must chain to. */
  readonly caPem: string;
  /** The broker's own certificate and key. */
  readonly server: PemCredential;
  /** Refuse clients without a certificate from the CA (mutual TLS). Default true. */
  readonly requireCertificate?: boolean;
  /** Also accept anonymous plain-TCP clients on a second loopback port. */
  readonly plainListener?: boolean;
}

export type RunningMosquittoTls = StartedMosquitto;

/**
 * A real Mosquitto (OpenSSL) with a TLS listener requiring client certificates from the
 * given CA, the certificate's common name as the MQTT user name; in the shape the
 * provisioning tests use.
 */
export function startMosquittoTls(options: MosquittoTlsOptions): Promise<RunningMosquittoTls> {
  return startMosquitto({
    tls: {
      caPem: options.caPem,
      certPem: options.server.certPem,
      keyPem: options.server.keyPem,
      requireCertificate: options.requireCertificate,
    },
    plainListener: options.plainListener,
  });
}

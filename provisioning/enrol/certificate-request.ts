import { randomBytes } from "node:crypto";
import mqtt, { type IClientOptions } from "mqtt";
import { enrolResponseSchema, type EnrolResponse } from "./enrolment-messages.js";

export type IssuedCredential = Extract<EnrolResponse, { ok: true }>;

export interface CertificateRequestOptions {
  readonly url: string;
  /** TLS and credentials for the connection; the client id is chosen here. */
  readonly connect: Omit<IClientOptions, "clientId">;
  readonly requestTopic: string;
  readonly responseTopic: string;
  /** The request body; its requestId ties the centre's answer to it. */
  readonly request: { readonly requestId: string } & Record<string, unknown>;
  readonly timeoutMs: number;
}

export function newRequestId(): string {
  return randomBytes(12).toString("base64url");
}

/**
 * One request/answer with the centre over MQTT: subscribe to the answer topic first (so
 * the answer cannot be missed), publish the request at QoS 1, and wait for the answer
 * carrying this request's id. Throws on refusal, timeout or a connection failure.
 */
export async function exchangeWithCentre(
  options: CertificateRequestOptions,
): Promise<IssuedCredential> {
  const client = mqtt.connect(options.url, {
    ...options.connect,
    clientId: `basma-provision-${newRequestId()}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: Math.min(options.timeoutMs, 30_000),
  });
  try {
    return await new Promise<IssuedCredential>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no answer from the centre within ${Math.round(options.timeoutMs / 1000)} s (${options.url})`,
          ),
        );
      }, options.timeoutMs);
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(new Error(`cannot reach the broker at ${options.url}: ${error.message}`));
      };
      client.once("error", fail);
      client.on("message", (topic, payload) => {
        if (topic !== options.responseTopic) return;
        let json: unknown;
        try {
          json = JSON.parse(payload.toString("utf8"));
        } catch {
          return;
        }
        const parsed = enrolResponseSchema.safeParse(json);
        if (!parsed.success || parsed.data.requestId !== options.request.requestId) return;
        clearTimeout(timer);
        const response = parsed.data;
        if (response.ok) resolve(response);
        else reject(new Error(`the centre refused: ${response.error}`));
      });
      client.once("connect", () => {
        client
          .subscribeAsync(options.responseTopic, { qos: 1 })
          .then(() =>
            client.publishAsync(options.requestTopic, JSON.stringify(options.request), { qos: 1 }),
          )
          .catch(fail);
      });
    });
  } finally {
    await client.endAsync(true);
  }
}

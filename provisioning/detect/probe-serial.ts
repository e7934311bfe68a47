import {
  r30xSensorConfig,
  R30X_BAUD_RATES,
  type R30xSensorConfig,
} from "../../agent/config/schema.js";
import { createSensor } from "../../drivers/create-sensor.js";
import type { SensorDescription } from "../../drivers/sensor.js";
import { messageOf } from "../../agent/cli-support/command-io.js";

type R30xModel = R30xSensorConfig["model"];
const MODELS: readonly R30xModel[] = ["r305", "r307", "r503", "as608", "zfm20"];

export type ProbeResult =
  | {
      readonly ok: true;
      readonly path: string;
      readonly model: R30xModel;
      readonly baud: R30xSensorConfig["baud"];
      readonly identity: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly path: string; readonly error: string };

/** The model the module names itself, when it does (R503s report "R503"), else the assumed one. */
function modelOf(description: SensorDescription, assumed: R30xModel): R30xModel {
  const reported = description.identity.productModel?.trim().toLowerCase();
  return MODELS.find((model) => model === reported) ?? assumed;
}

function baudOf(description: SensorDescription): R30xSensorConfig["baud"] {
  const baud = Number(description.identity.baud);
  return (R30X_BAUD_RATES as readonly number[]).includes(baud)
    ? (baud as R30xSensorConfig["baud"])
    : 57_600;
}

/**
 * Opens an R30x module on `path` the way the agent would (every baud rate is tried),
 * for at most `timeoutMs`, and closes it again. Only R503s name their model (the product
 * information command the driver sends to R503s alone), so a module that opens as
 * another model is asked once more as an R503.
 */
export async function probeSerialSensor(
  path: string,
  options: { timeoutMs: number; assumedModel: R30xModel },
): Promise<ProbeResult> {
  const first = await openOnce(path, options.timeoutMs, options.assumedModel);
  if (!first.ok || options.assumedModel === "r503") return first;
  const asR503 = await openOnce(path, options.timeoutMs, "r503");
  return asR503.ok && asR503.model === "r503" ? asR503 : first;
}

async function openOnce(
  path: string,
  timeoutMs: number,
  assumedModel: R30xModel,
): Promise<ProbeResult> {
  let lastFailure: string | undefined;
  const note = (obj: object, msg: string): void => {
    const error = (obj as { err?: unknown }).err;
    lastFailure = error === undefined ? msg : messageOf(error);
  };
  const sensor = createSensor(r30xSensorConfig({ id: "probe", path, model: assumedModel }), {
    logger: { info: () => undefined, debug: () => undefined, warn: note },
  });
  try {
    const description = await sensor.open(AbortSignal.timeout(timeoutMs));
    return {
      ok: true,
      path,
      model: modelOf(description, assumedModel),
      baud: baudOf(description),
      identity: description.identity,
    };
  } catch (error) {
    const reason = lastFailure ?? messageOf(error);
    return {
      ok: false,
      path,
      error: `no R30x module answered within ${timeoutMs} ms (${reason})`,
    };
  } finally {
    await sensor.close();
  }
}

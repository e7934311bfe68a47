import {
  r30xSensorConfig,
  R30X_BAUD_RATES,
  type R30xSensorConfig,
} from "../../agent/config/schema.js";
import { createSensor } from "../../drivers/create-sensor.js";
import type { SensorDescription } from "../../drivers/sensor.js";
import { messageOf } from "../command-io.js";

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
 * for at most `timeoutMs`, and closes it again.
 */
export async function probeSerialSensor(
  path: string,
  options: { timeoutMs: number; assumedModel: R30xModel },
): Promise<ProbeResult> {
  let lastFailure: string | undefined;
  const note = (obj: object, msg: string): void => {
    const error = (obj as { err?: unknown }).err;
    lastFailure = error === undefined ? msg : messageOf(error);
  };
  const sensor = createSensor(
    r30xSensorConfig({ id: "probe", path, model: options.assumedModel }),
    {
      logger: { info: () => undefined, debug: () => undefined, warn: note },
    },
  );
  try {
    const description = await sensor.open(AbortSignal.timeout(options.timeoutMs));
    return {
      ok: true,
      path,
      model: modelOf(description, options.assumedModel),
      baud: baudOf(description),
      identity: description.identity,
    };
  } catch (error) {
    const reason = lastFailure ?? messageOf(error);
    return {
      ok: false,
      path,
      error: `no R30x module answered within ${options.timeoutMs} ms (${reason})`,
    };
  } finally {
    await sensor.close();
  }
}

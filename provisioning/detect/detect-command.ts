import { EXIT, parseIntegerOption, UsageError } from "../../agent/cli-support/cli.js";
import type { AgentConfigInput, R30xSensorConfig } from "../../agent/config/schema.js";
import type { CommandIo } from "../../agent/cli-support/command-io.js";
import { parseProvisionOptions } from "../command-options.js";
import { readConfigFile, writeConfigFile } from "../config-file.js";
import { serviceOwner } from "../file-owner.js";
import { PATH_OPTIONS_HELP, resolvePaths } from "../paths.js";
import { discoverCandidates, systemListing, type DeviceListing } from "./discover.js";
import { probeSerialSensor, type ProbeResult } from "./probe-serial.js";

export const DETECT_HELP = `Usage: basma-provision detect [options]

Lists the serial ports behind USB-serial bridges (CP210x, CH340, FTDI, PL2303) and the
USB devices with DigitalPersona U.are.U ids, opens an R30x module on each serial port
(every baud rate is tried), and proposes the sensors section of the configuration with
the stable /dev/serial/by-id/ names.

  --probe PATH          also probe this port (repeatable): a pseudo-terminal, tcp://host:port
  --model M             the R30x model to assume when the module does not name itself
                        (default r307)
  --timeout-ms MS       how long to wait for each module (default 4000)
  --all-serial          list USB serial ports with unknown bridge chips too
  --apply               write the proposed sensors into the configuration
  --json                the findings and the proposal as JSON
${PATH_OPTIONS_HELP}
Exit status: 0 at least one sensor found, 1 none, 2 bad arguments, 78 invalid configuration.
`;

type ProposedSensor = NonNullable<AgentConfigInput["sensors"]>[number];
const MODELS = ["r305", "r307", "r503", "as608", "zfm20"] as const;

export async function runDetectCommand(
  args: readonly string[],
  io: CommandIo,
  listing?: DeviceListing,
): Promise<number> {
  const values = parseProvisionOptions(
    args,
    {
      probe: { type: "string", multiple: true },
      model: { type: "string" },
      "timeout-ms": { type: "string" },
      "all-serial": { type: "boolean" },
      "by-id-dir": { type: "string" },
      apply: { type: "boolean" },
    },
    { help: DETECT_HELP, io },
  );
  if (values === undefined) return EXIT.ok;
  const model = (values.model ?? "r307") as R30xSensorConfig["model"];
  if (!MODELS.includes(model))
    throw new UsageError(`--model expects ${MODELS.join(", ")}, got "${values.model ?? ""}"`);
  const timeoutMs =
    parseIntegerOption("timeout-ms", values["timeout-ms"], { min: 100, max: 60_000 }) ?? 4_000;

  const found = await discoverCandidates(listing ?? (await systemListing(values["by-id-dir"])), {
    allSerialPorts: values["all-serial"] === true,
  });
  const paths = [...found.serial.map((port) => port.path), ...(values.probe ?? [])];
  const probes: ProbeResult[] = [];
  // One at a time: two probes must never share a port, and bridges share a USB hub.
  for (const path of new Set(paths))
    probes.push(await probeSerialSensor(path, { timeoutMs, assumedModel: model }));

  const byId = new Map(found.serial.map((port) => [port.path, port.byIdPath]));
  const proposal: ProposedSensor[] = [];
  for (const probe of probes) {
    if (!probe.ok) continue;
    proposal.push({
      id: `sensor-${proposal.length + 1}`,
      kind: "r30x",
      path: byId.get(probe.path) ?? probe.path,
      model: probe.model,
      baud: probe.baud,
    });
  }
  for (const reader of found.usb) {
    proposal.push({
      id: `sensor-${proposal.length + 1}`,
      kind: "usb",
      match: { vendorId: reader.vendorId, productId: reader.productId },
      model: reader.models[0] as "uru4000",
    });
  }

  if (values.apply === true && proposal.length > 0) {
    const paths = resolvePaths(values);
    const { input } = await readConfigFile(paths.config);
    await writeConfigFile(
      paths.config,
      { ...input, sensors: proposal },
      serviceOwner(undefined, io.err),
    );
  }

  if (values.json === true) {
    io.out(`${JSON.stringify({ ...found, probes, sensors: proposal }, null, 2)}\n`);
  } else {
    for (const warning of found.warnings) io.err(`warning: ${warning}\n`);
    io.out(`Serial ports (${found.serial.length} behind known USB-serial bridges):\n`);
    for (const port of found.serial)
      io.out(
        `  ${port.path}  ${port.usbId ?? "?"} ${port.bridge ?? "unknown bridge"}${port.byIdPath === undefined ? "" : `\n    ${port.byIdPath}`}\n`,
      );
    io.out("Probes:\n");
    for (const probe of probes)
      io.out(
        probe.ok
          ? `  PASS ${probe.path}: ${probe.model} at ${probe.baud} baud\n`
          : `  FAIL ${probe.path}: ${probe.error}\n`,
      );
    io.out(`USB readers (${found.usb.length}):\n`);
    for (const reader of found.usb)
      io.out(
        `  ${reader.usbId} bus ${reader.bus} address ${reader.address}: ${reader.models.join(" or ")}\n`,
      );
    io.out(
      proposal.length === 0
        ? "No sensor found.\n"
        : `Proposed sensors section${values.apply === true ? " (written to the configuration)" : ""}:\n${JSON.stringify(proposal, null, 2)}\n`,
    );
  }
  return proposal.length > 0 ? EXIT.ok : EXIT.failure;
}

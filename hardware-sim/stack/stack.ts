import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { untilAborted } from "../../agent/cli-support/cli.js";
import { createLogger } from "../../agent/log/logger.js";
import { Outbox } from "../../agent/queue/outbox.js";
import { resolvePlan } from "../../agent/capture/capture-plan.js";
import { parseAgentConfig } from "../../agent/config/load.js";
import type { AgentConfigInput } from "../../agent/config/schema.js";
import { startEmbeddedBroker, type EmbeddedBroker } from "../broker/embedded-broker.js";
import { CentralStore } from "../central/central-store.js";
import { CommandSigner } from "../central/command-signer.js";
import { ReferenceCentral } from "../central/reference-central.js";
import { startSimulatedSensor, type SimulatedSensor } from "../simulated-sensor.js";
import { runTravellers, type TravellerTiming } from "../travellers.js";
import { startAgentProcess, type AgentLogLine } from "./agent-process.js";
import { formatNote, formatRecordEvent, isRecordEvent } from "./stack-output.js";

export interface StackOptions {
  /** Stop once this many records are acknowledged; run until interrupted when absent. */
  readonly travellers?: number;
  /** Start the agent too (otherwise run it yourself against the printed endpoints). */
  readonly withAgent: boolean;
  readonly brokerPort: number;
  readonly sensorPort: number;
  /** Whether a busy default port may be swapped for a free one (only when we configure the agent). */
  readonly portFallback: boolean;
  readonly dataDir: string;
  readonly json: boolean;
  readonly timing: TravellerTiming;
  readonly signal: AbortSignal;
}

export interface StackSummary {
  readonly recordsAcknowledged: number;
  readonly centralStored: number;
  readonly queueRemaining: number | null;
  readonly elapsedMs: number;
  readonly meanCaptureToAckMs: number | null;
  readonly agentExit: number | string | null;
}

const AGENT_STOP_GRACE_MS = 1_500;

/** The whole local stack: broker, reference centre, simulated sensor with travellers, and the agent. */
export async function runStack(options: StackOptions): Promise<StackSummary> {
  const started = Date.now();
  const out = (text: string, json: Record<string, unknown>): void => {
    process.stdout.write(options.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
  };
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const simLogger = createLogger({ name: "basma-sim", level: "warn", destination: process.stderr });

  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async (): Promise<void> => {
    // Each step runs once, newest first, whichever path gets here first.
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch {
        // Keep tearing down the rest: a half-stopped stack would leave ports and processes behind.
      }
    }
  };
  try {
    const broker = await listenWithFallback(
      (port) => startEmbeddedBroker(port),
      options.brokerPort,
      options.portFallback,
    );
    cleanups.push(() => broker.close());
    const sensor = await listenWithFallback(
      (port) => startSimulatedSensor({ port, model: "r307" }),
      options.sensorPort,
      options.portFallback,
    );
    cleanups.push(() => sensor.close());

    const store = new CentralStore(join(dataDir, "central.sqlite"));
    cleanups.push(() => {
      store.close();
    });
    // The centre's command key: the agent trusts only commands and configuration it signs.
    const commandSigner = CommandSigner.loadOrCreate(
      "centre-dev",
      join(dataDir, "centre-command.key"),
    );
    const centreKeyFile = join(dataDir, "centre-command.pem");
    commandSigner.writePublicKey(centreKeyFile);
    const central = new ReferenceCentral({
      brokerUrl: broker.url,
      topicPrefix: "basma",
      store,
      logger: simLogger,
      commandSigner,
    });
    await central.start();
    cleanups.push(() => central.stop());

    const agentConfig: AgentConfigInput = {
      sensors: [{ id: "sensor-1", kind: "r30x", path: sensor.url, model: "r307" }],
      queue: { path: join(dataDir, "agent", "queue.sqlite") },
      mqtt: { url: broker.url },
      commands: {
        centreKeys: { "centre-dev": centreKeyFile },
        replayStore: join(dataDir, "agent", "commands.sqlite"),
      },
    };
    const plan = resolvePlan(parseAgentConfig(agentConfig, "stack").capture);
    out(
      formatNote(`broker ${broker.url} · sensor ${sensor.url} (${sensor.model}) · data ${dataDir}`),
      {
        event: "stack-ready",
        broker: broker.url,
        sensor: sensor.url,
        dataDir,
      },
    );

    const travellersDone = new AbortController();
    const stopTravellers = AbortSignal.any([options.signal, travellersDone.signal]);
    const travellers = runTravellers(sensor.platen, {
      fingers: plan.fingers.map((finger) => finger.position),
      // Realistic prints score as real fingers do; the quick ones read as far too light.
      prints: "realistic",
      timing: options.timing,
      signal: stopTravellers,
      onTraveller: (n) => {
        out(formatNote(`traveller ${n} steps up to the sensor`), { event: "traveller", n });
      },
    });
    cleanups.push(async () => {
      travellersDone.abort();
      await travellers;
    });

    if (!options.withAgent) {
      out(
        formatNote(
          "agent not started: run `npm run agent` (defaults match these ports); Ctrl-C stops",
        ),
        { event: "waiting-for-agent" },
      );
      await untilAborted(options.signal);
      const centralStored = store.count();
      await cleanup();
      return {
        recordsAcknowledged: 0,
        centralStored,
        queueRemaining: null,
        elapsedMs: Date.now() - started,
        meanCaptureToAckMs: null,
        agentExit: null,
      };
    }

    const configPath = join(dataDir, "agent-config.json");
    await writeFile(configPath, `${JSON.stringify(agentConfig, null, 2)}\n`);
    const capturedAt = new Map<string, number>();
    const latencies: number[] = [];
    let acknowledged = 0;
    const enough = new AbortController();
    const agent = startAgentProcess(
      configPath,
      (line: AgentLogLine) => {
        const event = line.event;
        if (isRecordEvent(event)) {
          out(formatRecordEvent(event, line), { ...line, event });
          const id = String(line["recordId"]);
          if (event === "record-captured") capturedAt.set(id, Date.now());
          if (event === "record-acknowledged") {
            acknowledged++;
            const t0 = capturedAt.get(id);
            if (t0 !== undefined) latencies.push(Date.now() - t0);
            if (options.travellers !== undefined && acknowledged >= options.travellers)
              enough.abort();
          }
        } else if (line.level === "warn" || line.level === "error" || line.level === "fatal") {
          out(formatNote(`agent ${line.level}: ${line.msg ?? ""}`), line);
        }
      },
      (text) => {
        process.stderr.write(`agent: ${text}\n`);
      },
    );
    out(formatNote(`agent started (pid ${agent.pid ?? "?"})`), {
      event: "agent-started",
      pid: agent.pid,
    });
    const agentEnded = agent.exited.then((code) => code);
    const reason = await Promise.race([
      new Promise<"signal">((r) =>
        options.signal.addEventListener("abort", () => r("signal"), { once: true }),
      ),
      new Promise<"enough">((r) =>
        enough.signal.addEventListener("abort", () => r("enough"), { once: true }),
      ),
      agentEnded.then(() => "agent-exited" as const),
    ]);
    if (reason === "agent-exited")
      out(formatNote("the agent exited unexpectedly"), { event: "agent-exited" });
    travellersDone.abort();
    const agentExit = await agent.stop(AGENT_STOP_GRACE_MS);
    await cleanup();

    const queue = Outbox.open(agentConfig.queue?.path ?? "");
    const queueRemaining = queue.stats().records;
    queue.close();
    const centralCount = new CentralStore(join(dataDir, "central.sqlite"));
    const centralStored = centralCount.count();
    centralCount.close();
    return {
      recordsAcknowledged: acknowledged,
      centralStored,
      queueRemaining,
      elapsedMs: Date.now() - started,
      meanCaptureToAckMs:
        latencies.length > 0
          ? Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length)
          : null,
      agentExit: reason === "agent-exited" ? agentExit : null,
    };
  } finally {
    await cleanup();
  }
}

/** Binds on `port`; on EADDRINUSE, when allowed, on any free port instead. */
async function listenWithFallback<T extends EmbeddedBroker | SimulatedSensor>(
  start: (port: number) => Promise<T>,
  port: number,
  fallback: boolean,
): Promise<T> {
  try {
    return await start(port);
  } catch (error) {
    if (!fallback || port === 0 || (error as NodeJS.ErrnoException).code !== "EADDRINUSE")
      throw error;
    process.stderr.write(`port ${port} is busy; using a free port instead\n`);
    return start(0);
  }
}

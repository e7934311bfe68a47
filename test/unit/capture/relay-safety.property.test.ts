import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionControl } from "../../../agent/capture/session-control.js";
import { SessionEvents } from "../../../agent/capture/session-events.js";
import { SessionTriggers } from "../../../agent/capture/session-triggers.js";
import {
  authoriseDecision,
  type AuthorisedGateDecision,
} from "../../../agent/gate/gate-decision.js";
import { GuidancePresenter } from "../../../agent/guidance/guidance-presenter.js";
import {
  PROMPT_IDS,
  prompt,
  type PlainPromptId,
} from "../../../agent/guidance/prompt-catalogue.js";
import { createLogger } from "../../../agent/log/logger.js";
import { GOOD, ScriptedSensor, UNPLUGGED, always } from "../../support/scripted-sensor.js";
import { sessionHarness } from "../../support/session-harness.js";
import { simulatedTerminalGate } from "../../support/simulated-gate.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

type Step =
  | { kind: "prompt"; id: PlainPromptId }
  | { kind: "session"; outcome: "complete" | "device-fault" }
  | { kind: "fault" }
  | { kind: "tamper"; value: 0 | 1 }
  | { kind: "clear-tamper" }
  | { kind: "presence"; value: 0 | 1 }
  | { kind: "forged-open" }
  | { kind: "authorised-open" }
  | { kind: "time"; ms: number };

const plainPrompts = PROMPT_IDS.filter((id): id is PlainPromptId => id !== "place-named-finger");

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("prompt" as const), id: fc.constantFrom(...plainPrompts) }),
  fc.record({
    kind: fc.constant("session" as const),
    outcome: fc.constantFrom("complete" as const, "device-fault" as const),
  }),
  fc.constant({ kind: "fault" as const }),
  fc.record({
    kind: fc.constant("tamper" as const),
    value: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.constant({ kind: "clear-tamper" as const }),
  fc.record({
    kind: fc.constant("presence" as const),
    value: fc.constantFrom(0 as const, 1 as const),
  }),
  fc.constant({ kind: "forged-open" as const }),
  fc.constant({ kind: "authorised-open" as const }),
  fc.record({ kind: fc.constant("time" as const), ms: fc.integer({ min: 1, max: 8_000 }) }),
);

describe("the gate relay under random sessions, faults and tamper", () => {
  it("is energised only while an authorised decision holds it open", async () => {
    // So the property is not vacuous: some runs must really open the gate.
    let opensSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const logger = createLogger({ name: "test", level: "silent" });
        const { gate, gpio: sim } = simulatedTerminalGate(logger, {
          gateRelay: { line: 17 },
          doorLock: { line: 18 },
          ledGreen: { line: 22 },
          ledRed: { line: 23 },
          ledAmber: { line: 24 },
          buzzer: { line: 25 },
          presence: { line: 5, debounceMs: 20 },
          tamper: { line: 6, debounceMs: 10 },
        });
        const presenter = new GuidancePresenter({
          events: new SessionEvents(),
          gate: gate.signaller,
          logger,
        });
        const triggers = new SessionTriggers({
          presence: gate.presence,
          tamper: gate.tamper,
          presenter,
        });
        gate.start();

        // Every moment the relay was driven on must fall inside an authorised open() call.
        let insideAuthorisedOpen = false;
        const unauthorisedEnergising: string[] = [];
        sim.onTransition((t) => {
          if (t.name === "gateRelay" && t.value === 1 && !insideAuthorisedOpen) {
            unauthorisedEnergising.push(`at ${t.at}`);
          }
        });
        let openUntil = -1;

        for (const action of steps) {
          switch (action.kind) {
            case "prompt":
              await presenter.show(prompt(action.id));
              break;
            case "session": {
              const sensor = new ScriptedSensor("s", {
                capture: action.outcome === "complete" ? always(GOOD) : always(UNPLUGGED()),
              });
              const control = new SessionControl();
              const record = await triggers.during(control, () =>
                sessionHarness([sensor], { plan: "verify-right-index" }).run(),
              );
              if (record.outcome === "device-fault") gate.relay.fault(new Error("device fault"));
              break;
            }
            case "fault":
              gate.relay.fault(new Error("injected fault"));
              openUntil = -1;
              break;
            case "tamper":
              sim.setInput("tamper", action.value);
              await vi.advanceTimersByTimeAsync(15);
              if (action.value === 1) openUntil = -1;
              break;
            case "clear-tamper":
              gate.tamper?.clear("operator-7");
              break;
            case "presence":
              sim.setInput("presence", action.value);
              await vi.advanceTimersByTimeAsync(25);
              break;
            case "forged-open": {
              const forged = {
                source: "operator",
                operatorId: "nobody",
                reason: "forged",
                openMs: 1_000,
                decidedAt: new Date(),
              } as unknown as AuthorisedGateDecision;
              expect(gate.relay.open(forged).opened).toBe(false);
              break;
            }
            case "authorised-open": {
              const decision = authoriseDecision({
                kind: "operator-override",
                operatorId: "operator-7",
                reason: "assisted passage",
                openMs: 3_000,
              });
              insideAuthorisedOpen = true;
              const result = gate.relay.open(decision);
              insideAuthorisedOpen = false;
              if (result.opened) {
                openUntil = Date.now() + result.openMs;
                expect(sim.outputValue("gateRelay")).toBe(1);
                opensSeen++;
              } else expect(gate.relay.holds.length).toBeGreaterThan(0);
              break;
            }
            case "time":
              await vi.advanceTimersByTimeAsync(action.ms);
              break;
          }
          expect(unauthorisedEnergising).toEqual([]);
          const energised = sim.outputValue("gateRelay") === 1;
          // On only within an authorised decision's open time, never while tampered.
          if (energised) {
            expect(Date.now()).toBeLessThan(openUntil);
            expect(gate.relay.holds).toEqual([]);
          }
          if (gate.tamper?.alarm !== undefined) expect(energised).toBe(false);
        }
        triggers.close();
        gate.close();
        expect(sim.outputValue("gateRelay")).toBe(0);
      }),
      { numRuns: 150 },
    );
    expect(opensSeen).toBeGreaterThan(10);
  });
});

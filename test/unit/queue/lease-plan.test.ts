import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrate } from "../../../agent/queue/migrations.js";
import { createLeaseTable, WAITING } from "../../../agent/queue/outbox-delivery.js";

/** The plan SQLite picks for a statement, one line per step. */
function planOf(db: Database.Database, sql: string, params: Record<string, number>): string[] {
  return db
    .prepare<Record<string, number>, { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(params)
    .map((row) => row.detail);
}

describe("lease queries", () => {
  it("walk the (state, seq) index once in seq order and stop at the limit: no sort of the waiting records", () => {
    const db = new Database(":memory:");
    migrate(db);
    createLeaseTable(db);
    for (const [sql, params] of [
      [WAITING("seq > @after"), { after: 10, now: 0, limit: 16 }],
      [WAITING("seq <= @upTo"), { upTo: 10, now: 0, limit: 16 }],
    ] as const) {
      const plan = planOf(db, sql, params);
      expect(plan.filter((step) => step.startsWith("SEARCH records"))).toEqual([
        expect.stringMatching(
          /USING (COVERING )?INDEX records_by_state \(state=\? AND seq[<>]=?\?\)/,
        ),
      ]);
      expect(plan.join("\n")).not.toMatch(/TEMP B-TREE FOR ORDER BY|SCAN records/);
    }
    db.close();
  });
});

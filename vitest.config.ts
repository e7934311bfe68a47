import { defineConfig } from "vitest/config";

// "fast" runs in-process with no external programs; "slow" starts real processes,
// pseudo-terminals and brokers and needs `npm run build` first (test/run.sh does it).
export default defineConfig({
  test: {
    projects: [
      {
        test: { name: "fast", include: ["test/unit/**/*.test.ts"], testTimeout: 10_000 },
      },
      {
        test: {
          name: "slow",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});

#!/usr/bin/env bash
# `npm test`: installs the test tools, builds dist/ (the slow suites run the compiled
# CLIs exactly as production does), then runs every vitest suite.
#   npm test -- --project fast     only the in-process unit tests
#   BASMA_SOAK=1 npm test          the long soak and fault loops instead of their CI-sized runs
set -euo pipefail
cd "$(dirname "$0")/.."
bash test/install-test-tools.sh
npm run --silent build
# libuv's io_uring path can hang closing pseudo-terminals on Node 20 (serialport #2656).
export UV_USE_IO_URING=0
exec npx vitest run "$@"

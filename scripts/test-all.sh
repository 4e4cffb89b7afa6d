#!/usr/bin/env bash
# The whole test command: prerequisites, lint, type checks, unit,
# integration (real slapd, Samba AD DC, SMTP receiver, Graph emulator) and
# end-to-end tests (browser mode in Debian's Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n==> %s\n' "$*"; }

step "Test prerequisites (slapd, Samba AD DC, Chromium)"
bash scripts/install-prereqs.sh

step "Node.js for the project scripts: $(node -v)"
case "$(node -v)" in v2[4-9]*|v[3-9]*) ;; *) echo "Node.js 24 or newer is required (npm scripts use the node devDependency)"; exit 1;; esac

step "Lint"
npm run --silent lint
step "Type checks"
tsc -p tsconfig.node.json --noEmit
tsc -p tsconfig.web.json --noEmit
step "Unit tests"
vitest run --project unit
step "Integration tests (real servers)"
vitest run --project integration
step "Build"
electron-vite build
step "End-to-end tests (browser mode in Chromium)"
playwright test

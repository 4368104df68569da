#!/usr/bin/env bash
# End-to-end check of the stack on a Docker host (`make e2e`). CI does not run it: it needs
# a Docker engine and several GB of RAM. Steps: make up -> demo traffic and one malformed
# line -> elkctl verify -> tests/e2e/check_stack.py (saved searches, ILM, routing) -> down -v.
# It removes the stack's volumes at the end, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/../.."

compose=(docker compose -f docker-compose.elk.yml)
python=.venv/bin/python

cleanup() {
  echo "e2e: removing the stack and its volumes"
  "${compose[@]}" --profile demo down --volumes --remove-orphans || true
  rm -f certs/ca.crt
}
trap cleanup EXIT

make up

log_dir=${LOG_DIR:-$(sed -n 's/^LOG_DIR=//p' .env | tail -n 1)}
echo "e2e: demo traffic into $log_dir"
DEMO_UID=$(id -u) DEMO_GID=$(id -g) "${compose[@]}" --profile demo run --rm demo \
  python scripts/demo/app.py --requests 300 --time-scale 0 --seed 42

# A line that is not JSON (longer than Filebeat's 128-byte fingerprint) must land in
# logs-unparsed-default, tagged, not be dropped.
marker="e2e-malformed-$(date +%s)-$$"
printf '%s %s\n' "$marker" "this line is plain text, not JSON: Traceback (most recent call last) ...................................................." \
  >> "$log_dir/e2e-malformed.log"

.venv/bin/elkctl verify --log-dir "$log_dir"
"$python" tests/e2e/check_stack.py --malformed-marker "$marker"
echo "e2e: PASSED"

#!/usr/bin/env bash
# Makes tests/Keel.Server.Tests/Fixtures/format1.tar.gz: a data directory written by a real Keel server
# of storage format 1 (the commit before dfc30fd introduced format 2), holding every kind of record that
# format could hold, and format1.json describing it (ids, keys, expected values, due times).
#
# The old build is checked out into a temporary git worktree outside the repository, built there, and
# run with the conformance test services of that commit. Each record is created through the old server's
# ingress; then the server is killed with SIGKILL (no clean shutdown: what is on disk is what a crash
# leaves), and its data directory is packed. Run it again only to regenerate the fixture (its output is
# committed); it needs the .NET SDK and network access for NuGet packages the old build uses.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
FORMAT1_COMMIT="$(git rev-parse dfc30fd^)"
WORK="$(mktemp -d /tmp/keel-format1-XXXXXX)"
SRC="$WORK/src"
DATA="$WORK/data"
OUT="$REPO/tests/Keel.Server.Tests/Fixtures"
INGRESS_PORT="${INGRESS_PORT:-18480}"
ADMIN_PORT="${ADMIN_PORT:-18470}"
SERVICES_PORT="${SERVICES_PORT:-18490}"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  git -C "$REPO" worktree remove --force "$SRC" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "format 1 build: $FORMAT1_COMMIT in $SRC"
git -C "$REPO" worktree add --detach "$SRC" "$FORMAT1_COMMIT" >/dev/null
# That commit predates the lock files; restore and build what the fixture runs only.
(cd "$SRC" && dotnet build src/Keel.Server -c Release -v quiet -nologo -p:TreatWarningsAsErrors=false >/dev/null)
(cd "$SRC" && dotnet build tests/Keel.Conformance.Services -c Release -v quiet -nologo -p:TreatWarningsAsErrors=false >/dev/null)

mkdir -p "$DATA"
dotnet "$SRC/src/Keel.Server/bin/Release/net10.0/Keel.Server.dll" --data-dir "$DATA" \
  --ingress-port "$INGRESS_PORT" --admin-port "$ADMIN_PORT" --partitions 4 >"$WORK/server.log" 2>&1 &
server=$!
pids+=("$server")
PORT="$SERVICES_PORT" SERVICES="Counter,BlockAndWaitWorkflow,VirtualObjectCommandInterpreter" \
  dotnet "$SRC/tests/Keel.Conformance.Services/bin/Release/net10.0/Keel.Conformance.Services.dll" >"$WORK/services.log" 2>&1 &
pids+=($!)

ingress="http://127.0.0.1:$INGRESS_PORT"
admin="http://127.0.0.1:$ADMIN_PORT"
registered=0
for _ in $(seq 1 240); do
  if curl -sf "$admin/health" >/dev/null && curl -sf -o /dev/null -X POST "$admin/deployments" \
       -H 'content-type: application/json' -d "{\"uri\":\"http://127.0.0.1:$SERVICES_PORT\"}"; then
    registered=1; break
  fi
  sleep 0.5
done
[ "$registered" = 1 ] || { cat "$WORK/server.log" "$WORK/services.log" >&2; echo "could not register the services" >&2; exit 1; }

call() { curl -sS -f -X POST "$ingress/$1" -H 'content-type: application/json' "${@:3}" -d "$2"; }
invocation_id() { sed -n 's/.*"invocationId":"\([^"]*\)".*/\1/p'; }

created_at_ms="$(date +%s%3N)"
# Object state, from a completed call.
call Counter/fixture-state/add 5 >/dev/null
# A retained idempotent output: the same key must answer the same output after the upgrade.
idem_output="$(call Counter/fixture-idem/add 7 -H 'idempotency-key: fixture-key-1')"
# A delayed send due in two hours: it must still be pending after the upgrade and then run once.
delayed_id="$(call 'Counter/fixture-delayed/add/send?delay=2h' 3 | invocation_id)"
# A sleeping invocation (one hour) holding its key's lock, and a second one queued behind it in the key's inbox.
sleeper_id="$(call VirtualObjectCommandInterpreter/fixture-sleep/interpretCommands/send \
  '{"commands":[{"type":"awaitOne","command":{"type":"sleep","timeoutMillis":3600000}}]}' | invocation_id)"
queued_id="$(call VirtualObjectCommandInterpreter/fixture-sleep/interpretCommands/send \
  '{"commands":[{"type":"awaitOne","command":{"type":"runReturns","value":"after-sleep"}}]}' | invocation_id)"
# A workflow waiting on its promise, and a finished one whose promise was resolved.
waiting_wf_id="$(call BlockAndWaitWorkflow/fixture-wf-waiting/run/send '"waiting-input"' | invocation_id)"
call BlockAndWaitWorkflow/fixture-wf-done/run/send '"done-input"' >/dev/null
for _ in $(seq 1 100); do
  call BlockAndWaitWorkflow/fixture-wf-done/getState '' >/dev/null 2>&1 && break
  sleep 0.1
done
call BlockAndWaitWorkflow/fixture-wf-done/unblock '"done-output"' >/dev/null
done_wf_output="$(curl -sS -f "$ingress/restate/workflow/BlockAndWaitWorkflow/fixture-wf-done/attach")"

# Wait until the sleeper has journaled its sleep and the workflow its promise (both then wait on timers
# or promises), so the directory holds them mid-flight, not just accepted.
for _ in $(seq 1 100); do
  state="$(call BlockAndWaitWorkflow/fixture-wf-waiting/getState '' || true)"
  [ "$state" = '"waiting-input"' ] && break
  sleep 0.1
done
sleep 1

kill -9 "$server"
wait "$server" 2>/dev/null || true

mkdir -p "$OUT"
rm -f "$DATA"/db/LOG.old.*
tar -C "$DATA" -czf "$OUT/format1.tar.gz" .
cat >"$OUT/format1.json" <<JSON
{
  "commit": "$FORMAT1_COMMIT",
  "createdAtUnixMs": $created_at_ms,
  "partitions": 4,
  "servicesUri": "http://127.0.0.1:$SERVICES_PORT",
  "services": "tests/Keel.Conformance.Services (Counter, BlockAndWaitWorkflow, VirtualObjectCommandInterpreter)",
  "state": { "service": "Counter", "key": "fixture-state", "name": "counter", "value": 5 },
  "idempotent": { "path": "Counter/fixture-idem/add", "idempotencyKey": "fixture-key-1", "body": 7, "output": $idem_output },
  "delayedSend": { "id": "$delayed_id", "service": "Counter", "key": "fixture-delayed", "body": 3, "dueAfterMs": 7200000 },
  "sleeping": { "id": "$sleeper_id", "service": "VirtualObjectCommandInterpreter", "key": "fixture-sleep", "sleepMs": 3600000, "output": "sleep" },
  "queued": { "id": "$queued_id", "service": "VirtualObjectCommandInterpreter", "key": "fixture-sleep", "output": "after-sleep" },
  "waitingWorkflow": { "id": "$waiting_wf_id", "service": "BlockAndWaitWorkflow", "key": "fixture-wf-waiting", "state": "waiting-input" },
  "doneWorkflow": { "service": "BlockAndWaitWorkflow", "key": "fixture-wf-done", "output": $done_wf_output }
}
JSON
ls -l "$OUT"

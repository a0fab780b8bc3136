#!/usr/bin/env bash
# CPU profile of the Keel server under one closed-loop scenario of `Keel.Bench server`, with the
# TypeScript endpoint and the load generator sampled too (they share the machine's cores).
#
#   bench/profile-server.sh "no-op call" [seconds=55] [warm-up=25] [record=25] [out=/tmp/keel-profile]
#
# Uses Linux perf (apt-get install linux-perf; root or kernel.perf_event_paranoid <= 1). The .NET
# runtime writes /tmp/perf-<pid>.map for its JIT-compiled code (DOTNET_PerfMapEnabled=1); W^X is
# turned off so that code sits in anonymous memory, where perf looks names up in that map. Samples
# are taken after the warm-up so that tiered compilation has settled. dotnet-trace's sampled thread
# time shows wall-clock time, mostly threads waiting, so CPU comes from perf.
set -euo pipefail
scenario=${1:?scenario name, e.g. "no-op call" or "object add, 1 key"}
seconds=${2:-55}
warm=${3:-25}
record=${4:-25}
out=${5:-/tmp/keel-profile}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 \
  dotnet "$root/bench/Keel.Bench/bin/Release/net10.0/Keel.Bench.dll" server "$seconds" --servers keel --scenarios "$scenario" \
  > "$out/bench.out" 2> "$out/bench.err" &
bench=$!
for _ in $(seq 1 600); do grep -q "server pid" "$out/bench.err" 2>/dev/null && break; sleep 0.2; done
read -r server endpoint generator < <(grep -o "server pid [0-9]*, endpoint pid [0-9]*, load generator pid [0-9]*" "$out/bench.err" | tr -d ',' | awk '{print $3, $6, $10}')
sleep "$warm"
uptime > "$out/load"
if ! perf record -F 499 -g -p "$server,$endpoint,$generator" -o "$out/perf.data" -- sleep "$record" > "$out/perf.log" 2>&1; then
  echo "perf record failed (exit $?): $(cat "$out/perf.log")" >&2
  wait "$bench" || true
  exit 1
fi
uptime >> "$out/load"
wait "$bench"

cat "$out/bench.err"
echo "load average before/after recording:"; cat "$out/load"
echo; echo "CPU samples per process (server $server, endpoint $endpoint, load generator $generator):"
perf script -i "$out/perf.data" -F pid 2>/dev/null | sort | uniq -c
echo; echo "Server: shared objects"
perf report -i "$out/perf.data" --pid "$server" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
echo; echo "Server: hottest symbols (self)"
perf report -i "$out/perf.data" --pid "$server" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -40
echo; echo "Server: hottest call chains (inclusive)"
perf report -i "$out/perf.data" --pid "$server" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | grep -i keel | head -30

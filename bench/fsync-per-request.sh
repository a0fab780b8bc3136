#!/usr/bin/env bash
# fsyncs per acknowledged request: each server (Keel, restate-server) runs under
# strace -f --seccomp-bpf -e trace=fsync,fdatasync,sync_file_range while wrk drives a fixed number of
# requests (no-op calls to TsNoop/echo, then sends to TsNoop/echo/send) through bench/ts-endpoint.mjs.
# A fresh server and data dir per scenario. Counts the sync calls made from the start of the load
# until it ended ("load") and until the server went quiet for 2 s afterwards ("+drain": a send's
# invocation runs after its 202), divided by the 2xx answers wrk saw.
#
# Usage: bench/fsync-per-request.sh [requests=5000] [connections=64] [servers="keel restate"]
# Needs: dotnet build -c Release bench/Keel.Bench, npm ci --prefix tests/oracles, apt-get install wrk strace.
set -euo pipefail
requests=${1:-5000}
connections=${2:-64}
servers=${3:-keel restate}
threads=2
root=$(cd "$(dirname "$0")/.." && pwd)
keel_dll=${KEEL_SERVER_DLL:-$root/src/Keel.Server.Tool/bin/Release/net10.0/keel-server.dll}
restate_bin=$root/tests/oracles/node_modules/@restatedev/restate-server-linux-x64/bin/restate-server
for tool in wrk strace curl node; do command -v $tool >/dev/null || { echo "$tool is missing" >&2; exit 1; }; done
[ -f "$keel_dll" ] || { echo "$keel_dll is missing: dotnet build -c Release bench/Keel.Bench" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# strace -o writes one line per call (a blocked call's "<... resumed>" line does not match "name(").
lines() { wc -l <"$1"; }
syncs_since() { tail -n +$(($2 + 1)) "$1" | grep -cE '(fsync|fdatasync|sync_file_range)\(' || true; }
kinds_since() { for k in fsync fdatasync sync_file_range; do printf '%s=%s ' $k "$(tail -n +$(($2 + 1)) "$1" | grep -cE "[^_a-z]$k\\(" || true)"; done; }
# wrk with a request budget per thread: started in the background, interrupted once every thread is done.
run_wrk() { # per_thread url out
  local done="$tmp/wrk.done.$RANDOM"
  : >"$done"
  WRK_DONE_FILE=$done WRK_REQUESTS_PER_THREAD=$1 wrk -t$threads -c$connections -d600s -s "$root/bench/wrk-post.lua" "$2" >"$3" &
  local wpid=$!
  while [ "$(wc -l <"$done")" -lt $threads ] && kill -0 $wpid 2>/dev/null; do sleep 0.1; done
  kill -INT $wpid 2>/dev/null || true
  wait $wpid || true
}
wait_http() { for _ in $(seq 1 1200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.05; done; echo "timeout waiting for $1" >&2; return 1; }

pids=()
cleanup() { for p in "${pids[@]}"; do pkill -9 -P "$p" 2>/dev/null || true; kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

echo "| server | scenario | requests acknowledged | syncs during load | syncs incl. drain | syncs/request (load) | syncs/request (incl. drain) | by kind (incl. drain) |"
echo "|---|---|---|---|---|---|---|---|"
for server in $servers; do
  for scenario in call send; do
    tmp=$(mktemp -d /tmp/keel-fsync-XXXXXX)
    ingress=$(free_port); admin=$(free_port); ep=$(free_port)
    PORT=$ep node "$root/bench/ts-endpoint.mjs" >"$tmp/endpoint.log" 2>&1 & pids+=($!); disown
    if [ "$server" = keel ]; then
      cmd=(dotnet "$keel_dll" --data-dir "$tmp/data" --ingress-port "$ingress" --admin-port "$admin")
    else
      cat >"$tmp/restate.toml" <<TOML
node-name = "fsync"
base-dir = "$tmp/data"
bind-ip = "127.0.0.1"
bind-port = $(free_port)
listen-mode = "tcp"
disable-telemetry = true
[admin]
bind-port = $admin
[ingress]
bind-port = $ingress
TOML
      cmd=("$restate_bin" -c "$tmp/restate.toml" --no-logo)
    fi
    strace -f --seccomp-bpf -e trace=fsync,fdatasync,sync_file_range -o "$tmp/strace.log" "${cmd[@]}" >"$tmp/server.log" 2>&1 & spid=$!; pids+=($spid); disown
    wait_http "http://127.0.0.1:$ingress/restate/health"; wait_http "http://127.0.0.1:$admin/health"
    for _ in $(seq 1 100); do
      curl -sf -o /dev/null -X POST "http://127.0.0.1:$admin/deployments" -H 'content-type: application/json' \
        -d "{\"uri\":\"http://127.0.0.1:$ep\",\"force\":true}" && break; sleep 0.2
    done
    path=/TsNoop/echo; [ $scenario = send ] && path=/TsNoop/echo/send
    # Warm up (connections, JIT), let it settle, then count.
    run_wrk 100 "http://127.0.0.1:$ingress$path" "$tmp/warm.out"
    sleep 2
    before=$(lines "$tmp/strace.log")
    run_wrk $((requests / threads)) "http://127.0.0.1:$ingress$path" "$tmp/wrk.out"
    during=$(syncs_since "$tmp/strace.log" "$before")
    # Drain: wait until no sync call for 2 s (at most 120 s).
    last=-1
    for _ in $(seq 1 60); do now=$(lines "$tmp/strace.log"); [ "$now" = "$last" ] && break; last=$now; sleep 2; done
    total=$(syncs_since "$tmp/strace.log" "$before")
    done_requests=$(awk '/requests in/{print $1}' "$tmp/wrk.out")
    non2xx=$(awk '/Non-2xx/{print $NF}' "$tmp/wrk.out"); non2xx=${non2xx:-0}
    acked=$((done_requests - non2xx))
    kinds=$(kinds_since "$tmp/strace.log" "$before")
    awk -v s="$server" -v sc="$scenario" -v a="$acked" -v d="$during" -v t="$total" -v k="$kinds" \
      'BEGIN { printf "| %s | %s | %d | %d | %d | %.2f | %.2f | %s |\n", s, sc, a, d, t, d / a, t / a, k }'
    # The traced server first (a child of strace), then strace itself.
    pkill -9 -P $spid 2>/dev/null || true; sleep 0.2; kill -9 $spid 2>/dev/null || true
    kill -9 "${pids[0]}" 2>/dev/null || true
    pids=()
    rm -rf "$tmp"
  done
done

#!/usr/bin/env bash
# Instructions per request under valgrind's callgrind: repeatable on a shared machine, where
# throughput is not. Needs the release binaries (bench/run.sh builds them), valgrind, wrk, curl.
#   bash bench/callgrind.sh            # CALLGRIND_REQUESTS (default 20000) per row
# Rows: the bare handler's POST; the mock's POST with room in its store (--speed 1000, as the
# throughput rows); the mock's POST at its task bound (speed 1, every submission evicts). The
# last uses --max-tasks 2000 rather than filling 100 000 tasks under valgrind: an eviction does
# the same work either way (it looks at the 64 oldest tasks). Profiles stay in target/callgrind
# (open one with callgrind_annotate --inclusive=yes FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
release=target/release
out=target/callgrind
mkdir -p "$out"
requests=${CALLGRIND_REQUESTS:-20000}
# Set here, not with env(1): valgrind follows no exec.
export RUST_LOG=warn
script="$out/post.lua"
cat >"$script" <<'EOF'
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
local body = '{"prompt":"A red fox trotting through fresh snow","seed":7}'
request = function() return wrk.format("POST", "/v3/async/wan-t2v", nil, body) end
EOF

# Requests the server has answered: the mock's tasks stored plus evicted; the bare handler
# keeps no count, so its row counts wrk's answers.
answered() {
    local health
    health=$(curl -s "http://$1/health")
    local tasks evicted
    tasks=$(grep -o '"tasks":[0-9]*' <<<"$health" | cut -d: -f2)
    evicted=$(grep -o '"evicted":[0-9]*' <<<"$health" | cut -d: -f2)
    echo $((tasks + evicted))
}

# Sends `count` POSTs to the mock at $1 with wrk, stopping it once the mock has them all.
post_mock() {
    local target=$(($(answered "$1") + $2))
    wrk -t1 -c16 -d600s -s "$script" "http://$1/" >/dev/null &
    local wrk_pid=$!
    while [ "$(answered "$1")" -lt "$target" ]; do sleep 0.2; done
    kill "$wrk_pid"
    wait "$wrk_pid" 2>/dev/null || true
}

# row NAME FILL -- COMMAND...: starts COMMAND under callgrind on a free port (COMMAND gets the
# address last), sends FILL requests unmeasured, then `requests` measured ones.
row() {
    local name=$1 fill=$2
    shift 3
    local port=$((20000 + RANDOM % 20000))
    local addr=127.0.0.1:$port
    local file="$out/$name.out"
    rm -f "$file"*
    valgrind --tool=callgrind --callgrind-out-file="$file" "$@" "$addr" >/dev/null 2>"$out/$name.log" &
    local vg=$!
    until curl -s -o /dev/null "http://$addr/health"; do sleep 0.5; done
    local count
    if [ "$name" = bare ]; then
        callgrind_control -z "$vg" >/dev/null 2>&1
        # wrk's thread stops itself after `requests` answers; its duration bounds the rest.
        count=$(N=$requests wrk -t1 -c16 -d30s -s "$out/count.lua" "http://$addr/" |
            grep -o '[0-9]* requests in' | cut -d' ' -f1)
    else
        [ "$fill" -gt 0 ] && post_mock "$addr" "$fill"
        local before
        before=$(answered "$addr")
        callgrind_control -z "$vg" >/dev/null 2>&1
        post_mock "$addr" "$requests"
        count=$(($(answered "$addr") - before))
    fi
    # callgrind acts on a command only while the program runs: one request wakes it.
    (sleep 1; curl -s -o /dev/null "http://$addr/health") &
    callgrind_control -d "$vg" >/dev/null 2>&1
    kill "$vg"
    wait "$vg" 2>/dev/null || true
    local instructions
    instructions=$(grep -h '^summary:' "$file".1 | cut -d' ' -f2)
    printf '%-40s %8d instructions per request (%d requests)\n' "$name" \
        $((instructions / count)) "$count"
}

cat >"$out/count.lua" <<'EOF'
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
local body = '{"prompt":"A red fox trotting through fresh snow","seed":7}'
local limit, n = tonumber(os.getenv("N")), 0
request = function() return wrk.format("POST", "/v3/async/wan-t2v", nil, body) end
response = function() n = n + 1; if n >= limit then wrk.thread:stop() end end
EOF

row bare 0 -- "$release/bare"
row mock-post 0 -- "$release/novita-mock" --speed 1000 --addr
row mock-post-at-bound 3000 -- "$release/novita-mock" --max-tasks 2000 --addr

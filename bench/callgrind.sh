#!/usr/bin/env bash
# Instructions per request under valgrind's callgrind: repeatable on a shared machine, where
# throughput is not. Needs the release binaries (bench/run.sh builds them), valgrind, wrk, curl.
#   bash bench/callgrind.sh            # CALLGRIND_REQUESTS (default 20000) per row
#   CALLGRIND_ROWS="bare mock-poll" bash bench/callgrind.sh    # only these rows
#   CALLGRIND_BIN=dir CALLGRIND_OUT=dir bash bench/callgrind.sh   # other binaries, profiles
# Rows: the bare handler's POST and GET; the mock's wan-t2v POST with room in its store
# (--speed 1000, as the throughput rows); its POST at its task bound (the clock paused, so that
# no task ends and every submission evicts the oldest after looking for a finished one, on any
# machine however loaded); a poll of a finished task (as the GET throughput row); a Kling 3.0 submission with
# every documented field (a larger schema). The bound row uses --max-tasks 2000 rather than
# filling 100 000 tasks under valgrind: an eviction does the same work either way. Profiles
# stay in target/callgrind (open one with callgrind_annotate --inclusive=yes FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
release=${CALLGRIND_BIN:-target/release}
out=${CALLGRIND_OUT:-target/callgrind}
mkdir -p "$out"
requests=${CALLGRIND_REQUESTS:-20000}
rows=${CALLGRIND_ROWS:-bare bare-get mock-post mock-post-at-bound mock-poll mock-kling}
# Set here, not with env(1): valgrind follows no exec.
export RUST_LOG=warn

# script NAME METHOD PATH BODY: a wrk script sending one request over and over; with N set in
# wrk's environment, its thread stops after N answers.
script() {
    cat >"$out/$1.lua" <<EOF
wrk.headers["Authorization"] = "Bearer bench"
wrk.headers["Content-Type"] = "application/json"
local body = $4
local limit, n = tonumber(os.getenv("N") or "0"), 0
request = function() return wrk.format("$2", "$3", nil, body) end
response = function() n = n + 1; if limit > 0 and n >= limit then wrk.thread:stop() end end
EOF
}
script post POST /v3/async/wan-t2v "'{\"prompt\":\"A red fox trotting through fresh snow\",\"seed\":7}'"
script get GET /v3/async/task-result?task_id=0 nil
script kling POST /v3/async/kling-v3.0-pro-t2v "'{\"prompt\":\"A heron lifts off a misty lake at sunrise, slow motion.\",\"negative_prompt\":\"low quality\",\"duration\":8,\"cfg_scale\":0.5,\"aspect_ratio\":\"16:9\",\"sound\":false}'"

# Requests to the Novita API the mock at $1 has answered: its journal counts every one.
answered() {
    curl -s "http://$1/_mock/journal?limit=0" | grep -o '"total_recorded":[0-9]*' | cut -d: -f2
}

# drive ADDR COUNT SCRIPT: sends requests with wrk until the mock has answered COUNT more.
drive() {
    local target=$(($(answered "$1") + $2))
    wrk -t1 -c16 -d600s -s "$3" "http://$1/" >/dev/null &
    local wrk_pid=$!
    while [ "$(answered "$1")" -lt "$target" ]; do sleep 0.2; done
    kill "$wrk_pid"
    wait "$wrk_pid" 2>/dev/null || true
}

# A poll script for the mock at $1: it submits one task, lets it finish, and polls it.
poll_script() {
    local id
    id=$(curl -s -H 'Authorization: Bearer bench' -H 'Content-Type: application/json' \
        -d '{"prompt":"A red fox trotting through fresh snow","seed":7}' \
        "http://$1/v3/async/wan-t2v" | grep -o '"task_id":"[^"]*"' | cut -d'"' -f4)
    sleep 1
    sed "s/task_id=0/task_id=$id/" "$out/get.lua" >"$out/poll.lua"
    echo "$out/poll.lua"
}

# row NAME FILL LUA -- COMMAND...: starts COMMAND under callgrind on a free port (COMMAND gets
# the address last), sends FILL requests of LUA unmeasured, then `requests` measured ones.
row() {
    local name=$1 fill=$2 lua=$3
    shift 4
    case " $rows " in *" $name "*) ;; *) return 0 ;; esac
    local port=$((20000 + RANDOM % 20000))
    local addr=127.0.0.1:$port
    local file="$out/$name.out"
    rm -f "$file"*
    valgrind --tool=callgrind --callgrind-out-file="$file" "$@" "$addr" >/dev/null 2>"$out/$name.log" &
    local vg=$!
    until curl -s -o /dev/null "http://$addr/health"; do sleep 0.5; done
    local count
    if [ "${name%%-*}" = bare ]; then
        callgrind_control -z "$vg" >/dev/null 2>&1
        # wrk's thread stops itself after `requests` answers; its duration bounds the rest.
        count=$(N=$requests wrk -t1 -c16 -d30s -s "$out/$lua.lua" "http://$addr/" |
            grep -o '[0-9]* requests in' | cut -d' ' -f1)
    else
        local send="$out/$lua.lua"
        [ "$lua" = poll ] && send=$(poll_script "$addr")
        [ "$fill" -gt 0 ] && drive "$addr" "$fill" "$send"
        local before
        before=$(answered "$addr")
        callgrind_control -z "$vg" >/dev/null 2>&1
        drive "$addr" "$requests" "$send"
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

row bare 0 post -- "$release/bare"
row bare-get 0 get -- "$release/bare"
row mock-post 0 post -- "$release/novita-mock" --speed 1000 --addr
row mock-post-at-bound 3000 post -- "$release/novita-mock" --paused --max-tasks 2000 --addr
row mock-poll 0 poll -- "$release/novita-mock" --speed 1000 --addr
row mock-kling 0 kling -- "$release/novita-mock" --speed 1000 --addr

#!/usr/bin/env bash
# Cost of the admin endpoint's metrics on the request path: one Converge node with admin-port off
# against the same build with admin-port on and /metrics scraped every second (as Prometheus
# would, faster than its usual 15 s), and optionally against an older build's jar (before the
# per-command latency histograms), taking turns test by test, N rounds; prints rps per round and
# the medians' ratios. Usage: bench/scripts/metrics_cost.sh JAR [OLD_JAR] [ROUNDS]; requests per run
# from P1_REQUESTS (default 100000) and P16_REQUESTS (default 500000). Passing JAR again as OLD_JAR
# gives an A/A comparison (the same build twice with admin-port off): the noise floor of the run.
set -euo pipefail
JAR="$1"; OLD="${2:-}"; ROUNDS="${3:-3}"
JAVA="${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
OPTS="--enable-native-access=ALL-UNNAMED -Xmx1g -XX:+UseCompactObjectHeaders"
DIR="$(mktemp -d)"; trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$DIR"' EXIT
start() { # name jar port [extra server arguments]
  local name="$1" jar="$2" port="$3"; shift 3
  mkdir -p "$DIR/$name"
  $JAVA $OPTS -jar "$jar" server --port "$port" --data-dir "$DIR/$name" --set appendonly=no "$@" \
    > "$DIR/$name.log" 2>&1 &
  for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return; sleep 0.2; done
  echo "node $name did not start" >&2; cat "$DIR/$name.log" >&2; exit 1
}
start off "$JAR" 7811
start on "$JAR" 7812 --set admin-port=7912
targets="off:7811 on:7812"
if [[ -n "$OLD" ]]; then start old "$OLD" 7813; targets="$targets old:7813"; fi
( while true; do curl -s -o /dev/null http://127.0.0.1:7912/metrics; sleep 1; done ) &
for t in $targets; do redis-benchmark -p "${t#*:}" -t set,get -n 300000 -c 50 -P 16 -q >/dev/null; done # warm-up
declare -A results
for round in $(seq 1 "$ROUNDS"); do
  for test in set get; do
    for pipeline in 1 16; do
      for t in $targets; do
        n=$(( pipeline == 1 ? ${P1_REQUESTS:-100000} : ${P16_REQUESTS:-500000} ))
        rps=$(redis-benchmark -p "${t#*:}" -t "$test" -n "$n" -c 50 -P "$pipeline" -r 100000 --csv | tail -1 | cut -d, -f2 | tr -d '"')
        results["$test-P$pipeline-${t%%:*}"]+="$rps "
        echo "round $round $test P$pipeline ${t%%:*}: $rps"
      done
    done
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for test in set get; do
  for pipeline in 1 16; do
    off=$(echo "${results[$test-P$pipeline-off]}" | median); on=$(echo "${results[$test-P$pipeline-on]}" | median)
    line="$test P$pipeline: off $off, on+scraped $on (on/off $(awk "BEGIN {printf \"%.3f\", $on/$off}"))"
    if [[ -n "$OLD" ]]; then old=$(echo "${results[$test-P$pipeline-old]}" | median)
      line="$line, older build $old (this build off/older $(awk "BEGIN {printf \"%.3f\", $off/$old}"))"; fi
    echo "$line"
  done
done

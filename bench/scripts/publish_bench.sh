#!/bin/bash
# PUBLISH throughput with N subscribers (redis-cli SUBSCRIBE processes spread over SUBPORTS), side by side
# runs: bench/scripts/publish_bench.sh 6399 50; bench/scripts/publish_bench.sh 7001 50 7001 7002 7003
# usage: pubbench.sh PORT SUBSCRIBERS [SUBPORTS...]: PUBLISH throughput with N subscribers (spread over SUBPORTS, default PORT)
port=$1; n=$2; shift 2; subports=("$@"); [ ${#subports[@]} -eq 0 ] && subports=($port)
pids=()
for i in $(seq 1 $n); do
  sp=${subports[$(( (i-1) % ${#subports[@]} ))]}
  redis-cli -p $sp subscribe bench-channel > /dev/null &
  pids+=($!)
done
sleep 1
for P in 1 16; do
  echo -n "port=$port subscribers=$n P$P: "
  redis-benchmark -p $port -c 50 -n 200000 -P $P --csv PUBLISH bench-channel hello | tail -1 | cut -d, -f2
done
kill ${pids[@]} 2>/dev/null; wait 2>/dev/null

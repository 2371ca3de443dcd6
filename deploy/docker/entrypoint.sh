#!/bin/sh
# Container entrypoint of a Converge node in a StatefulSet: the pod named <name>-K runs node K+1
# of the cluster file, so the ids 1..N of the file map onto the pods <name>-0..<name>-N-1.
# Arguments given to the container (e.g. --set maxmemory=2gb) are passed on to `converge server`.
#
# Environment (defaults are the image's and the manifests' paths):
#   CONVERGE_NODE_ID           this node's id; unset: derived from the host name as above
#   CONVERGE_CONFIG            node configuration (docs/configuration.md)
#   CONVERGE_CLUSTER           cluster description (docs/cluster.md)
#   CONVERGE_REQUIREPASS_FILE  file holding requirepass; ignored when it does not exist
#   CONVERGE_JAVA_OPTS         JVM options replacing the defaults of jvm.options
#   CONVERGE_EXTRA_JAVA_OPTS   JVM options added after them (heap sizing, for instance)
#   CONVERGE_JVM_OPTIONS, CONVERGE_JAR   where the image keeps jvm.options and the server jar
set -eu

fail() {
  echo "converge-entrypoint: $*" >&2
  exit 64
}

host="${HOSTNAME:-$(hostname)}"
if [ -n "${CONVERGE_NODE_ID:-}" ]; then
  node_id="$CONVERGE_NODE_ID"
else
  ordinal="${host##*-}"
  case "$host" in *-*) ;; *) ordinal="" ;; esac
  case "$ordinal" in
    '' | *[!0-9]*) fail "cannot derive the node id from host name '$host': expected <name>-<ordinal> as a StatefulSet names its pods, or set CONVERGE_NODE_ID" ;;
  esac
  ordinal="${ordinal#"${ordinal%%[!0]*}"}" # no leading zeros: sh would read them as octal
  node_id=$(( ${ordinal:-0} + 1 ))
fi

config="${CONVERGE_CONFIG:-/etc/converge/config/node.yaml}"
cluster="${CONVERGE_CLUSTER:-/etc/converge/config/cluster.yaml}"
requirepass_file="${CONVERGE_REQUIREPASS_FILE:-/etc/converge/secret/requirepass}"
jvm_options="${CONVERGE_JVM_OPTIONS:-/opt/converge/jvm.options}"
jar="${CONVERGE_JAR:-/opt/converge/converge-server.jar}"

# The defaults of jvm.options ("<lowest JDK major>[/linux] <option>" per line) this JVM accepts,
# as the `converge` launcher picks them.
if [ -n "${CONVERGE_JAVA_OPTS+set}" ]; then
  java_opts="$CONVERGE_JAVA_OPTS"
else
  major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)"
  java_opts=""
  if [ -n "$major" ] && [ -f "$jvm_options" ]; then
    while read -r min opt; do
      case "$min" in '' | '#'*) continue ;; esac
      min="${min%/linux}"
      case "$min" in '' | *[!0-9]*) continue ;; esac
      if [ "$major" -ge "$min" ]; then java_opts="$java_opts $opt"; fi
    done < "$jvm_options"
  fi
fi

set -- server --config "$config" --cluster "$cluster" --node-id "$node_id" "$@"
if [ -f "$requirepass_file" ]; then
  set -- "$@" --requirepass-file "$requirepass_file"
fi
echo "converge-entrypoint: host $host runs node $node_id of $cluster" >&2
# exec: java becomes the container's main process and gets SIGTERM (a clean shutdown) itself.
# shellcheck disable=SC2086 # the options are words on purpose
exec java $java_opts ${CONVERGE_EXTRA_JAVA_OPTS:-} -jar "$jar" "$@"

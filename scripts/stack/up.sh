#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Bring up the local nearcast stack on 127.0.0.1 and wait until every service really works:
#   Kafka (KRaft, single node) :9092 (controller :9093)
#   Apicurio Registry (Confluent-compatible API /apis/ccompat/v7) :8081
#   Redis :6379, PostgreSQL :5432 (provided by the machine; started only if down)
# Only what is not already running gets started, so running it again is a quick no-op.
# Versions, ports and heap sizes: scripts/stack/env.sh.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$STACK_SCRIPTS/services.sh"

started_at=$(now)
take_lock

# Prerequisites first, so a missing tool fails in one line before anything starts.
require_java "$JAVA" 17 "Kafka $KAFKA_VERSION"
require_cmd curl "Install curl (apt-get install curl); it is used to talk to the schema registry."
require_cmd setsid "Install util-linux (apt-get install util-linux)."

ensure_redis
ensure_postgres

# --- decide what needs starting (and refuse foreign processes on our ports)
# Another checkout's stack on our ports serves us just as well: use it rather than refuse.
if [ -z "$(service_pid kafka || true)" ] && kafka_root="$(foreign_stack_root kafka)" &&
  [ -z "$(service_pid registry || true)" ] && registry_root="$(foreign_stack_root registry)"; then
  info "using the nearcast stack already running from $kafka_root (registry: $registry_root)"
  info "  stop it with: (cd $kafka_root && npm run stack:down)"
  # This checkout may not have the Kafka jars yet: then an open port is the check.
  { if [ -d "$KAFKA_HOME/libs" ]; then kafka_metadata_ok 20; else port_open "$KAFKA_PORT"; fi; } || die "the stack of $kafka_root holds port $KAFKA_PORT but Kafka does not answer"
  [ "$(http_code "$CCOMPAT_URL/subjects")" = 200 ] || die "the stack of $registry_root holds port $REGISTRY_PORT but the registry does not answer"
  ensure_backward 0
  print_status
  exit 0
fi

kafka_pid="$(service_pid kafka || true)"
if [ -n "$kafka_pid" ]; then
  running="$(running_kafka_version "$kafka_pid")"
  [ "$running" = "$KAFKA_VERSION" ] ||
    die "Kafka $running is already running (pid $kafka_pid) but KAFKA_VERSION=$KAFKA_VERSION was requested; run scripts/stack/down.sh first."
else
  require_port_free "$KAFKA_PORT" "Kafka"
  require_port_free "$KAFKA_CONTROLLER_PORT" "the Kafka controller"
  check_kafka_data_version
fi
registry_pid="$(service_pid registry || true)"
if [ -z "$registry_pid" ]; then
  require_port_free "$REGISTRY_PORT" "Apicurio Registry"
  require_java "$REGISTRY_JAVA" "$(registry_min_java)" "Apicurio Registry $APICURIO_VERSION"
fi

# --- downloads (skipped once present under .stack/)
ensure_kafka_libs
[ -n "$registry_pid" ] || ensure_registry_dist

# --- start both JVMs before waiting on either, so they boot in parallel
registry_started=0
if [ -z "$registry_pid" ]; then
  info "starting Apicurio Registry $APICURIO_VERSION (log: .stack/registry.log)"
  start_registry
  registry_pid="$(cat "$STACK_DIR/registry.pid")"
  registry_started=1
fi
if [ -z "$kafka_pid" ]; then
  info "starting Kafka $KAFKA_VERSION (log: .stack/kafka-data/server.log)"
  start_kafka
  kafka_pid="$(cat "$STACK_DIR/kafka.pid")"
fi

wait_kafka "$kafka_pid"
wait_registry "$registry_pid"
ensure_backward "$registry_started"

info "stack up in $(($(now) - started_at))s"
print_status

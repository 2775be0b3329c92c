#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Restart the local Kafka broker on the same data (for fault tests): stop it with SIGTERM
# (clean shutdown) or, with --kill, SIGKILL (crash), then start it and wait until a metadata
# request works again. Starts the broker if it was not running.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"
. "$STACK_SCRIPTS/services.sh"

sig=TERM
for arg in "$@"; do
  case "$arg" in
    --kill) sig=KILL ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) die "unknown option '$arg' (usage: restart-kafka.sh [--kill])" ;;
  esac
done

started_at=$(now)
take_lock
require_java "$JAVA" 17 "Kafka $KAFKA_VERSION"

if pid="$(service_pid kafka)"; then
  running="$(running_kafka_version "$pid")"
  [ "$running" = "$KAFKA_VERSION" ] ||
    die "Kafka $running is running but KAFKA_VERSION=$KAFKA_VERSION; restart it with that KAFKA_VERSION, or down.sh then up.sh"
  info "stopping kafka (pid $pid) with SIG$sig"
  stop_pid "$pid" "$STOP_TIMEOUT" "$sig"
  rm -f "$STACK_DIR/kafka.pid"
else
  info "kafka was not running"
fi
wait_port_free "$KAFKA_PORT" 15 || require_port_free "$KAFKA_PORT" "Kafka"
wait_port_free "$KAFKA_CONTROLLER_PORT" 15 || require_port_free "$KAFKA_CONTROLLER_PORT" "the Kafka controller"

ensure_kafka_libs
info "starting Kafka $KAFKA_VERSION"
start_kafka
wait_kafka "$(cat "$STACK_DIR/kafka.pid")"
info "kafka restarted in $(($(now) - started_at))s"
print_status | grep '^kafka'

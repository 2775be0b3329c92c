#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stop what scripts/stack/up.sh started: Kafka and Apicurio Registry (SIGTERM, then SIGKILL
# after STOP_TIMEOUT seconds). Redis and PostgreSQL belong to the machine and are left alone.
#   --wipe   also delete Kafka data (.stack/kafka-data) and registry data (.stack/registry-data)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

wipe=0
for arg in "$@"; do
  case "$arg" in
    --wipe) wipe=1 ;;
    -h | --help) sed -n '2,4p' "$0"; exit 0 ;;
    *) die "unknown option '$arg' (usage: down.sh [--wipe])" ;;
  esac
done

take_lock
for svc in registry kafka; do
  if pid="$(service_pid "$svc")"; then
    info "stopping $svc (pid $pid)"
    stop_pid "$pid" "$STOP_TIMEOUT" TERM
  elif other="$(foreign_stack_root "$svc")"; then
    info "$svc: not ours; served by the stack of $other (stop it there: cd $other && npm run stack:down)"
  else
    info "$svc: not running"
  fi
  rm -f "$STACK_DIR/$svc.pid"
done

if [ "$wipe" = 1 ]; then
  info "wiping .stack/kafka-data and .stack/registry-data"
  rm -rf "$KAFKA_DATA" "$REGISTRY_DATA"
fi

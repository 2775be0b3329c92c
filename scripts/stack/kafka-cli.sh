#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Run a Kafka CLI tool from the stack's own jars (no Kafka distribution needed).
#   kafka-cli.sh topics --create --topic t
#   kafka-cli.sh console-producer --topic t          (lines on stdin)
#   kafka-cli.sh console-consumer --topic t --from-beginning --max-messages 1
#   kafka-cli.sh org.apache.kafka.tools.GetOffsetShell --topic t
# --bootstrap-server 127.0.0.1:9092 is added unless given. Class names differ between
# Kafka 3.x and 4.x; this picks the right one for KAFKA_VERSION.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

[ $# -ge 1 ] || { sed -n '2,8p' "$0"; exit 2; }
tool="$1"
shift
class="$(kafka_tool_class "$tool" || echo "$tool")"
[ -f "$KAFKA_HOME/libs/.complete" ] || die "Kafka $KAFKA_VERSION jars are not in .stack/ yet; run scripts/stack/up.sh first."
require_java "$JAVA" 17 "Kafka $KAFKA_VERSION"

case " $* " in
  *" --bootstrap-server "*) ;;
  *) set -- --bootstrap-server "$STACK_HOST:$KAFKA_PORT" "$@" ;;
esac
kafka_java "$class" "$@"

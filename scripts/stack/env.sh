# shellcheck shell=bash
# shellcheck disable=SC2034 # settings here are used by the scripts that source this file
# Shared settings and helpers for scripts/stack/*.sh. Sourced, never executed.
#
# Every version and port of the local stack is pinned HERE and only here.
# Each value can be overridden from the environment, e.g. KAFKA_VERSION=3.9.1 scripts/stack/up.sh

# Kafka 4.4.0 is NOT usable yet: on Maven Central its artifacts are unsigned (no .asc) and
# kafka-tools / kafka-tools-api 4.4.0 are missing, so kafka_2.13:4.4.0 cannot even resolve.
# 4.1.1 is the newest of the candidates that is complete and signed. 3.9.1 also works.
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
# Apicurio 3.1+ (incl. 3.3.3) is compiled for Java 21 (class file 65) and cannot start on
# Java 17; 3.0.9 is the newest line on Maven Central that runs on Java 17.
# To run 3.3.3 anyway: APICURIO_VERSION=3.3.3 REGISTRY_JAVA=/path/to/java21+/bin/java
APICURIO_VERSION="${APICURIO_VERSION:-3.0.9}"

STACK_HOST=127.0.0.1
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${REGISTRY_PORT:-8081}"
REDIS_PORT="${REDIS_PORT:-6379}"
PG_PORT="${PG_PORT:-5432}"

# Sized for a 2-core dev box / CI runner.
KAFKA_HEAP="${KAFKA_HEAP:--Xms256m -Xmx768m}"
REGISTRY_HEAP="${REGISTRY_HEAP:--Xms64m -Xmx512m}"

# Bounded waits (seconds). Warm start takes a few seconds; these only guard against hangs.
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
REGISTRY_START_TIMEOUT="${REGISTRY_START_TIMEOUT:-90}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

# A fixed cluster id (base64 of the 16 bytes "nearcast-local-1"): nothing depends on it
# being random for a single dev broker, and a fixed one avoids an extra JVM start.
KAFKA_CLUSTER_ID="bmVhcmNhc3QtbG9jYWwtMQ"

# ---------------------------------------------------------------------------- paths
STACK_SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$STACK_SCRIPTS/../.." && pwd)"
STACK_DIR="$REPO_ROOT/.stack"                       # git-ignored
KAFKA_HOME="$STACK_DIR/kafka-$KAFKA_VERSION"        # libs/ + generated server.properties
KAFKA_DATA="$STACK_DIR/kafka-data"                  # server.log + kraft/ (log.dirs)
KAFKA_LOG_DIRS="$KAFKA_DATA/kraft"
APICURIO_HOME="$STACK_DIR/apicurio-$APICURIO_VERSION"
REGISTRY_DATA="$STACK_DIR/registry-data"           # H2 database files
DOWNLOADS="$STACK_DIR/downloads"

KAFKA_MAJOR="${KAFKA_VERSION%%.*}"
if [ "$KAFKA_MAJOR" -ge 4 ]; then
  # Kafka 4 logs through log4j2; 3.x through log4j 1 (reload4j). See kafka-pom.xml.
  KAFKA_MVN_LOGGING=()
  KAFKA_BROKER_LOGGING=(-Dlog4j2.configurationFile="$STACK_SCRIPTS/conf/log4j2-broker.properties")
  KAFKA_TOOLS_LOGGING=(-Dlog4j2.configurationFile="$STACK_SCRIPTS/conf/log4j2-tools.properties")
else
  KAFKA_MVN_LOGGING=(-Dkafka.logging=reload4j)
  KAFKA_BROKER_LOGGING=(-Dlog4j.configuration="file:$STACK_SCRIPTS/conf/log4j-broker.properties")
  KAFKA_TOOLS_LOGGING=(-Dlog4j.configuration="file:$STACK_SCRIPTS/conf/log4j-tools.properties")
fi

if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  JAVA="${JAVA:-$JAVA_HOME/bin/java}"
else
  JAVA="${JAVA:-java}"
fi
REGISTRY_JAVA="${REGISTRY_JAVA:-$JAVA}"

# ---------------------------------------------------------------------------- output
info() { printf '%s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
now() { date +%s; }

# Run "$@" with its output in log file $1, printing a dot every 2s so long downloads show progress.
run_with_dots() {
  local log="$1"; shift
  "$@" >"$log" 2>&1 9>&- &
  local pid=$!
  local ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 0.2
    ticks=$((ticks + 1))
    if [ $((ticks % 10)) -eq 0 ]; then printf '.' >&2; fi
  done
  local rc=0
  wait "$pid" || rc=$?
  printf '\n' >&2
  return "$rc"
}

# ---------------------------------------------------------------------------- prerequisites
java_major() { # $1 = java binary; prints the feature version (17, 21, ...)
  "$1" -version 2>&1 | awk -F'"' '/version/ {split($2, v, "."); print (v[1] == "1" ? v[2] : v[1]); exit}' || true
}

require_java() { # $1 = java binary, $2 = minimum feature version, $3 = what needs it
  local bin="$1" min="$2" what="$3" major
  command -v "$bin" >/dev/null 2>&1 ||
    die "Java not found ('$bin'). Install a JDK $min+ (e.g. apt-get install openjdk-17-jdk-headless) or set JAVA_HOME."
  major="$(java_major "$bin")"
  [ -n "$major" ] && [ "$major" -ge "$min" ] && return 0
  die "$what needs Java $min+, but '$bin' is Java ${major:-unknown}. Point JAVA_HOME (REGISTRY_JAVA for the registry) at a newer JDK, or keep the default versions in scripts/stack/env.sh."
}

require_cmd() { # $1 = command, $2 = hint
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found. $2"
}

# ---------------------------------------------------------------------------- processes & ports
port_open() { # $1 = port; true if something accepts TCP connections on 127.0.0.1:$1
  timeout 2 bash -c "exec 3<>/dev/tcp/$STACK_HOST/$1" 2>/dev/null
}

cmdline_of() { # $1 = pid
  if [ -r "/proc/$1/cmdline" ]; then tr '\0' ' ' <"/proc/$1/cmdline"; else ps -o args= -p "$1" 2>/dev/null; fi
}

# Who listens on a port: "name (pid N)", or "an unknown process" when ss can't tell us.
port_owner_desc() {
  local line
  line="$(ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1 || true)"
  if [ -n "$line" ]; then
    printf '%s\n' "$line" | sed -E 's/users:\(\("([^"]*)",pid=([0-9]+).*/\1 (pid \2)/'
  else
    echo "an unknown process"
  fi
}

port_owner_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true
}

# Markers that identify OUR processes (pid files can go stale and pids get reused).
KAFKA_MARKER="kafka.Kafka $STACK_DIR/kafka-"
REGISTRY_MARKER="-Dnearcast.stack=$STACK_DIR"

is_ours() { # $1 = pid, $2 = marker
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null && case "$(cmdline_of "$1")" in *"$2"*) true ;; *) false ;; esac
}

# Print the pid of our running service (pid file first, else whoever owns its port), or fail.
service_pid() { # $1 = kafka|registry
  local name="$1" marker port pid
  case "$name" in
    kafka) marker="$KAFKA_MARKER"; port="$KAFKA_PORT" ;;
    registry) marker="$REGISTRY_MARKER"; port="$REGISTRY_PORT" ;;
  esac
  pid="$(cat "$STACK_DIR/$name.pid" 2>/dev/null || true)"
  if is_ours "$pid" "$marker"; then echo "$pid"; return 0; fi
  pid="$(port_owner_pid "$port")"
  if is_ours "$pid" "$marker"; then echo "$pid" >"$STACK_DIR/$name.pid"; echo "$pid"; return 0; fi
  rm -f "$STACK_DIR/$name.pid"
  return 1
}

running_kafka_version() { # $1 = pid
  cmdline_of "$1" | grep -o "/\.stack/kafka-[0-9][^/]*" | head -1 | sed 's|.*/kafka-||' || true
}

# Another checkout's nearcast stack serving one of our ports: prints that checkout's folder, or fails.
# (Its processes carry the same markers as ours, with their own .stack path.)
foreign_stack_root() { # $1 = kafka|registry
  local port pid cmd root
  case "$1" in
    kafka) port="$KAFKA_PORT" ;;
    registry) port="$REGISTRY_PORT" ;;
  esac
  pid="$(port_owner_pid "$port")"
  [ -n "$pid" ] || return 1
  cmd="$(cmdline_of "$pid")"
  case "$1" in
    kafka) root="$(printf '%s\n' "$cmd" | grep -o 'kafka\.Kafka [^ ]*/\.stack/kafka-' | head -1 | sed -e 's|^kafka\.Kafka ||' -e 's|/\.stack/kafka-$||')" ;;
    registry) root="$(printf '%s\n' "$cmd" | grep -o -- '-Dnearcast\.stack=[^ ]*' | head -1 | sed -e 's|^-Dnearcast\.stack=||' -e 's|/\.stack$||')" ;;
  esac
  [ -n "$root" ] && [ "$root" != "$REPO_ROOT" ] || return 1
  printf '%s\n' "$root"
}

foreign_stack_pid() { # $1 = kafka|registry
  case "$1" in
    kafka) port_owner_pid "$KAFKA_PORT" ;;
    registry) port_owner_pid "$REGISTRY_PORT" ;;
  esac
}

# SIGTERM (or $3), wait up to $2 seconds, then SIGKILL.
stop_pid() { # $1 = pid, $2 = timeout, $3 = signal
  local pid="$1" timeout="$2" sig="${3:-TERM}" deadline
  kill -s "$sig" "$pid" 2>/dev/null || return 0
  deadline=$(($(now) + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(now)" -ge "$deadline" ]; then
      info "  pid $pid still alive after ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
}

# Serialize up/down/restart so two concurrent callers don't start two brokers.
take_lock() {
  mkdir -p "$STACK_DIR"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$STACK_DIR/.lock"
    flock -w 300 9 || die "another scripts/stack command holds $STACK_DIR/.lock for 5 minutes"
  fi
}

# ---------------------------------------------------------------------------- kafka
kafka_java() { # run a Kafka CLI class from the broker's jars, logging WARN+ to stderr
  "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${KAFKA_TOOLS_LOGGING[@]}" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}

kafka_tool_class() { # $1 = topics|console-producer|console-consumer
  case "$1" in
    topics) echo org.apache.kafka.tools.TopicCommand ;;
    console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
    console-producer)
      # moved from core (Scala) to the tools module in Kafka 4.0
      if [ "$KAFKA_MAJOR" -ge 4 ]; then echo org.apache.kafka.tools.ConsoleProducer; else echo kafka.tools.ConsoleProducer; fi ;;
    *) return 1 ;;
  esac
}

# Real readiness: a metadata round trip through the admin client, bounded by $1 seconds.
kafka_metadata_ok() {
  timeout "${1:-20}" "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC "${KAFKA_TOOLS_LOGGING[@]}" \
    -cp "$KAFKA_HOME/libs/*" "$(kafka_tool_class topics)" \
    --bootstrap-server "$STACK_HOST:$KAFKA_PORT" --list >/dev/null 2>&1
}

# ---------------------------------------------------------------------------- registry
REGISTRY_URL="http://$STACK_HOST:$REGISTRY_PORT"
CCOMPAT_URL="$REGISTRY_URL/apis/ccompat/v7"

http_code() { # $@ = curl args; prints the HTTP status (000 when unreachable)
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" 2>/dev/null || true
}

registry_version() {
  curl -s --max-time 3 "$REGISTRY_URL/apis/registry/v3/system/info" 2>/dev/null |
    sed -n 's/.*"version":"\([^"]*\)".*/\1/p' || true
}

registry_compat() {
  curl -s --max-time 3 "$CCOMPAT_URL/config" 2>/dev/null |
    sed -n 's/.*"compatibility\(Level\)\{0,1\}":"\([^"]*\)".*/\2/p' || true
}

# ---------------------------------------------------------------------------- redis / postgres
redis_ping() { # true when Redis answers PONG (plain bash, so redis-cli is optional)
  local reply
  reply="$(timeout 2 bash -c "exec 3<>/dev/tcp/$STACK_HOST/$REDIS_PORT && printf 'PING\r\n' >&3 && head -c 5 <&3" 2>/dev/null || true)"
  [ "$reply" = "+PONG" ]
}

redis_info_field() { # $1 = field of INFO server (redis_version, process_id)
  local reply
  reply="$(timeout 2 bash -c "exec 3<>/dev/tcp/$STACK_HOST/$REDIS_PORT && printf 'INFO server\r\nQUIT\r\n' >&3 && cat <&3" 2>/dev/null || true)"
  printf '%s\n' "$reply" | tr -d '\r' | awk -F: -v k="$1" '$1 == k {print $2; exit}' || true
}

pg_ready() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$STACK_HOST" -p "$PG_PORT" -t 2
  else
    port_open "$PG_PORT"
  fi
}

pg_version() {
  command -v pg_lsclusters >/dev/null 2>&1 || return 0
  pg_lsclusters -h 2>/dev/null | awk -v p="$PG_PORT" '$3 == p && $4 == "online" {print $1; exit}' || true
}

# ---------------------------------------------------------------------------- status lines
# One line per service: name, up/down, address, pid, version. Returns 1 if anything is down.
print_status() {
  local all=0 pid ver
  local other
  if pid="$(service_pid kafka)" && port_open "$KAFKA_PORT"; then
    printf '%-9s %-5s %-40s pid %-8s kafka %s\n' kafka up "$STACK_HOST:$KAFKA_PORT" "$pid" "$(running_kafka_version "$pid")"
  elif other="$(foreign_stack_root kafka)"; then
    pid="$(foreign_stack_pid kafka)"
    printf '%-9s %-5s %-40s pid %-8s kafka %s, served by the stack of %s\n' kafka up "$STACK_HOST:$KAFKA_PORT" \
      "$pid" "$(running_kafka_version "$pid")" "$other"
  else
    printf '%-9s %-5s %-40s pid %-8s kafka %s\n' kafka down "$STACK_HOST:$KAFKA_PORT" - "$KAFKA_VERSION"; all=1
  fi
  if pid="$(service_pid registry)" && [ "$(http_code "$CCOMPAT_URL/subjects")" = 200 ]; then
    ver="$(registry_version)"
    printf '%-9s %-5s %-40s pid %-8s apicurio %s (compatibility %s)\n' registry up "$CCOMPAT_URL" "$pid" "${ver:-?}" "$(registry_compat)"
  elif other="$(foreign_stack_root registry)" && [ "$(http_code "$CCOMPAT_URL/subjects")" = 200 ]; then
    ver="$(registry_version)"
    printf '%-9s %-5s %-40s pid %-8s apicurio %s (compatibility %s), served by the stack of %s\n' registry up \
      "$CCOMPAT_URL" "$(foreign_stack_pid registry)" "${ver:-?}" "$(registry_compat)" "$other"
  else
    printf '%-9s %-5s %-40s pid %-8s apicurio %s\n' registry down "$CCOMPAT_URL" - "$APICURIO_VERSION"; all=1
  fi
  if redis_ping; then
    printf '%-9s %-5s %-40s pid %-8s redis %s\n' redis up "$STACK_HOST:$REDIS_PORT" "$(redis_info_field process_id)" "$(redis_info_field redis_version)"
  else
    printf '%-9s %-5s %-40s pid %-8s redis\n' redis down "$STACK_HOST:$REDIS_PORT" -; all=1
  fi
  if pg_ready; then
    pid="$(port_owner_pid "$PG_PORT")"
    printf '%-9s %-5s %-40s pid %-8s postgresql %s\n' postgres up "$STACK_HOST:$PG_PORT" "${pid:--}" "$(pg_version)"
  else
    printf '%-9s %-5s %-40s pid %-8s postgresql\n' postgres down "$STACK_HOST:$PG_PORT" -; all=1
  fi
  return "$all"
}

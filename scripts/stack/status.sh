#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# One line per service: name, up/down, address, pid, version. Exit 0 if all are up, 1 otherwise.
# Cheap checks only (pid + port, HTTP for the registry, PING for Redis, pg_isready);
# up.sh is the one that proves Kafka with a metadata round trip.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env.sh"

print_status

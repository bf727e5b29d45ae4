#!/usr/bin/env bash
# The old name of scripts/callgrind_ops.sh, which measures load hits and more (load misses,
# stores, upserts) on every map: see that script. Arguments are passed on.
#   bash scripts/callgrind_load_hit.sh [--out FILE]
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/callgrind_ops.sh" "$@"

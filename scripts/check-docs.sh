#!/usr/bin/env bash
# syncmap's API reference check, run by CI (.ci/run) as a step of its own.
#
#   bash scripts/check-docs.sh
#
# Configures a small build tree of its own, build/docs (SYNCMAP_BUILD_DOCS=ON; no tests,
# examples or benchmarks, so nothing is compiled), builds the syncmap_docs target
# (cmake/SyncmapDocs.cmake, docs/Doxyfile.in) and fails on any Doxygen warning: a public
# member of sharded_map, rcu_map or rw_spinlock without a doc comment, an unknown command,
# a broken reference. Installs doxygen (and cmake, make, g++) first if missing
# (scripts/install-deps.sh). Takes a few seconds.
# Output: build/docs/docs/html/index.html; logs build/docs/configure.log, build/docs/docs.log.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1

# shellcheck source=SCRIPTDIR/install-deps.sh
source scripts/install-deps.sh
need_packages doxygen cmake make g++ || exit 1

start=$SECONDS
build_dir=build/docs
mkdir -p "$build_dir"
if ! cmake -S . -B "$build_dir" -DSYNCMAP_BUILD_DOCS=ON -DSYNCMAP_WARNINGS_AS_ERRORS=ON \
  -DSYNCMAP_BUILD_TESTS=OFF -DSYNCMAP_BUILD_EXAMPLES=OFF -DSYNCMAP_BUILD_BENCH=OFF \
  -DSYNCMAP_BUILD_FUZZ=OFF -DSYNCMAP_INSTALL=OFF >"$build_dir/configure.log" 2>&1; then
  tail -n 30 "$build_dir/configure.log"
  echo "docs: FAILED to configure ($build_dir/configure.log)"
  exit 1
fi

cmake --build "$build_dir" --target syncmap_docs >"$build_dir/docs.log" 2>&1
build_status=$?
# With WARN_AS_ERROR Doxygen reports its warnings as "file:line: error: ..."; count both forms.
warnings=$(grep -cE '(^|: )(warning|error): ' "$build_dir/docs.log")
index="$build_dir/docs/html/index.html"

if ((build_status != 0 || warnings != 0)) || [[ ! -s $index ]]; then
  grep -A4 'CMake Warning' "$build_dir/configure.log" # e.g. Doxygen not found
  grep -vE '^\[ *[0-9]+%\]' "$build_dir/docs.log" | head -n 100
  echo "docs: FAILED: $warnings Doxygen warning(s), build exit status $build_status" \
    "($build_dir/docs.log)"
  exit 1
fi
echo "docs: ok, no Doxygen warnings ($((SECONDS - start))s); open $index"

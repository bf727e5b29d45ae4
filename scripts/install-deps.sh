#!/usr/bin/env bash
# Installs the Debian packages syncmap's scripts need, and only those that are missing.
#
#   source scripts/install-deps.sh; need_packages g++ cmake ...   (from another script)
#   bash scripts/install-deps.sh                                  (the test dependencies)
#
# need_packages asks dpkg which of the named packages are not installed; if any are missing
# it runs `apt-get update` (once: the environment tells child scripts it ran) and
# `apt-get install` for exactly those, as root or through sudo, printing what it installs.
# When it cannot (no apt-get, not root and no sudo, or apt-get fails) it names the packages
# and exits 1, or returns 1 in an interactive shell so a terminal that sourced this file
# stays open. Sourcing defines functions and runs nothing.

# What scripts/test.sh needs: compilers, CMake, Catch2 (Debian ships v2.13), the TSan/ASan
# runtimes for clang (libclang-rt-14-dev), and pkg-config for the packaging test.
syncmap_test_packages=(g++ clang cmake make catch2 libclang-rt-14-dev pkg-config)

# True if dpkg reports package $1 as installed.
syncmap_package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# Stops the calling script, or only the function in an interactive shell.
syncmap_deps_fail() {
  echo "syncmap: $*" >&2
  if [[ $- == *i* ]]; then return 1; fi
  exit 1
}

need_packages() {
  local missing=() package
  if ! command -v dpkg-query >/dev/null 2>&1; then
    syncmap_deps_fail "not a Debian-like system (no dpkg-query); install these yourself: $*"
    return 1
  fi
  for package in "$@"; do
    syncmap_package_installed "$package" || missing+=("$package")
  done
  ((${#missing[@]} == 0)) && return 0

  local as_root=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      as_root=(sudo)
    else
      syncmap_deps_fail "missing packages: ${missing[*]}. Not root and no sudo:" \
        "install them with: apt-get install ${missing[*]}"
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    syncmap_deps_fail "missing packages: ${missing[*]}, and no apt-get to install them"
    return 1
  fi

  echo "syncmap: installing ${missing[*]}" >&2
  if [[ -z ${SYNCMAP_APT_UPDATED:-} ]]; then
    if ! "${as_root[@]}" apt-get update -qq; then
      syncmap_deps_fail "apt-get update failed; missing packages: ${missing[*]}"
      return 1
    fi
    export SYNCMAP_APT_UPDATED=1 # child scripts (test.sh from .ci/run) skip it too
  fi
  if ! "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    syncmap_deps_fail "apt-get install failed for: ${missing[*]}"
    return 1
  fi
}

# Run (not sourced): install the test dependencies.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  need_packages "${syncmap_test_packages[@]}"
fi

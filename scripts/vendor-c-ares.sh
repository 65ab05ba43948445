#!/usr/bin/env bash
# Refresh the vendored c-ares tree from the pycares source distribution on the registry.
#
#   scripts/vendor-c-ares.sh [PYCARES_VERSION]     (default 5.2.1, which carries c-ares 1.34.9)
#
# The tree lands in c-ares/ unmodified, except that its test/ folder is left out: the build
# never reads it (CARES_BUILD_TESTS is OFF) and it is a third of the tree's size.
set -euo pipefail
version=${1:-5.2.1}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-binary :all: --no-deps "pycares==$version" -d "$work"
tar -xzf "$work/pycares-$version.tar.gz" -C "$work"
src="$work/pycares-$version/deps/c-ares"
rm -rf "$top/c-ares"
cp -a "$src" "$top/c-ares"
rm -rf "$top/c-ares/test"
grep -m1 'define ARES_VERSION_STR' "$top/c-ares/include/ares_version.h"

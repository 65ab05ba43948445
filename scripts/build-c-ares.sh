#!/usr/bin/env bash
# Build the c-ares release that a given pycares source distribution bundles, as a
# shared library, to test ctypes_cares against an older libcares through CARES_LIBRARY.
#
#   scripts/build-c-ares.sh PYCARES_VERSION OUTDIR     e.g. 4.0.0 (c-ares 1.17.0)
#
# Prints the path of the built libcares.so.
set -euo pipefail
version=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
if [ -f "$out/libcares.so" ]; then echo "$out/libcares.so"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-binary :all: --no-deps "pycares==$version" -d "$work" 2>/dev/null
tar -xzf "$work"/pycares-"$version".tar.gz -C "$work"
src="$work/pycares-$version/deps/c-ares"
cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCARES_SHARED=ON \
  -DCARES_STATIC=OFF -DCARES_BUILD_TOOLS=OFF -DCARES_BUILD_TESTS=OFF >"$work/cmake.log" 2>&1 \
  || { cat "$work/cmake.log"; exit 1; }
cmake --build "$work/build" -j 2 >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
lib=$(find "$work/build" -name 'libcares.so.*' -type f | head -1)
cp "$lib" "$out/libcares.so"
mkdir -p "$out/include"
cp "$src"/include/*.h "$work"/build/ares_build.h "$out/include/" 2>/dev/null || cp "$src"/include/*.h "$out/include/"
echo "$out/libcares.so"

#!/usr/bin/env bash
# Vendor a c-ares release: replace c-ares/ with it in one step.
#
#   scripts/vendor-c-ares.sh c-ares-1.34.9.tar.gz     a release tarball (a file, or its URL:
#                                                    https://github.com/c-ares/c-ares/releases)
#   scripts/vendor-c-ares.sh pycares==5.2.1          the c-ares inside a pycares sdist (PyPI)
#
# The tree lands in c-ares/ unmodified, except that its test/ folder is left out: the build
# never reads it (CARES_BUILD_TESTS is OFF) and it is a third of the tree's size. Nothing is
# touched unless the source holds a c-ares tree (include/ares_version.h). Prints the old and
# new versions, the tarball's SHA-256 (for the commit message), and the other files that
# name the old version, to review: for a security release, raise SECURITY_RELEASE in
# ctypes_cares/_lib.py and note it in CHANGELOG.md (docs/development.md, "Security updates").
set -euo pipefail
source=${1:?usage: scripts/vendor-c-ares.sh c-ares-X.Y.Z.tar.gz | URL | pycares==X.Y.Z}
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version_of() { sed -n 's/.*define ARES_VERSION_STR *"\([^"]*\)".*/\1/p' "$1/include/ares_version.h" 2>/dev/null; }

case $source in
  pycares==*)
    python3 -m pip download --quiet --no-binary :all: --no-deps "$source" -d "$work"
    archive=$(ls "$work"/pycares-*.tar.gz) ;;
  http://*|https://*)
    archive="$work/$(basename "$source")"
    python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "$source" "$archive" ;;
  *)
    archive=$source ;;
esac
[ -f "$archive" ] || { echo "no such file: $archive" >&2; exit 2; }
mkdir "$work/x"
tar -xzf "$archive" -C "$work/x"
src=$(find "$work/x" -maxdepth 5 -path '*/include/ares_version.h' | sort | head -1)
src=${src%/include/ares_version.h}
if [ -z "$src" ] || [ -z "$(version_of "$src")" ]; then
  echo "$archive holds no c-ares tree (no include/ares_version.h): nothing changed" >&2
  exit 1
fi
old=$(version_of "$top/c-ares" || true)
new=$(version_of "$src")
rm -rf "$top/c-ares.new"
cp -a "$src" "$top/c-ares.new"
# test/ is not needed; a .git file (a submodule pointer in pycares sdists) would make git
# take c-ares/ for a nested repository.
rm -rf "$top/c-ares.new/test" "$top/c-ares.new/.git"
rm -rf "$top/c-ares"
mv "$top/c-ares.new" "$top/c-ares"
echo "c-ares ${old:-(none)} -> c-ares $new"
echo "sha256 $(sha256sum "$archive" | cut -d' ' -f1)  $(basename "$archive")"
if [ -n "$old" ] && [ "$old" != "$new" ] && git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
  echo "files naming $old, to review:"
  git -C "$top" grep -l -F "$old" -- . ':!c-ares' || true
fi

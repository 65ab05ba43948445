#!/bin/sh
# Use another libcares. Run: sh system_libcares.sh /usr/lib/x86_64-linux-gnu/libcares.so.2
python=${PYTHON:-python3}
CARES_LIBRARY=$1 "$python" -m ctypes_cares --version

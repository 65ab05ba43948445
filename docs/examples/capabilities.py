"""Which libcares was loaded, and what it can do.

Run: python capabilities.py
"""

from __future__ import annotations

import ctypes_cares

print(ctypes_cares.capabilities.describe())
if not ctypes_cares.capabilities.dnsrec:
    print("query_message needs c-ares >= 1.28")

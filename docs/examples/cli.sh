#!/bin/sh
# The command line. Run: sh cli.sh 127.0.0.1:53   (the server every command asks)
server=$1
python=${PYTHON:-python3}
"$python" -m ctypes_cares example.com MX --server "$server"
"$python" -m ctypes_cares mx example.com --server "$server"          # the python -m pycares form
"$python" -m ctypes_cares example.com A --json --server "$server"
"$python" -m ctypes_cares -x 192.0.2.1 --server "$server"            # reverse lookup
"$python" -m ctypes_cares nothing.invalid --server "$server" || echo "exit status $?"

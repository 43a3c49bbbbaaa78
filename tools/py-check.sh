#!/usr/bin/env bash
# Imports every generated Python module (*_pb2 and *_pb2_grpc under
# gen/python) with Debian's /usr/bin/python3, whose python3-protobuf and
# python3-grpcio match the Debian protoc that generated them. An import runs
# the module's descriptor registration, so this catches a broken import chain
# (such as a missing buf/validate/validate_pb2) as well as syntax errors.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root/gen/python"

mapfile -t modules < <(find . -type f \( -name '*_pb2.py' -o -name '*_pb2_grpc.py' \) |
	sed -e 's|^\./||' -e 's|\.py$||' -e 's|/|.|g' | LC_ALL=C sort)
if [[ ${#modules[@]} -eq 0 ]]; then
	echo "py-check: no generated Python modules under gen/python: run 'make generate'" >&2
	exit 1
fi

PYTHONPATH=. PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 - "${modules[@]}" <<'EOF'
import importlib
import sys

for name in sys.argv[1:]:
    importlib.import_module(name)
print(f"py-check: imported {len(sys.argv) - 1} generated modules")
EOF

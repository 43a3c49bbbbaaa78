#!/usr/bin/env bash
# The lint gate: buf lint on Manifold's protos, gofmt on hand-written Go
# (generated code under gen/ is exempt), go vet on every module of go.work,
# workflowcheck on the Temporal workflow code.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

echo "lint: buf lint proto"
.cache/bin/buf lint proto

echo "lint: gofmt -l (hand-written Go)"
# Tracked and untracked-but-not-ignored files, so a new file is checked
# before it is committed, and .cache/ or node_modules/ never are.
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.go' ':(exclude)gen/**')
existing=()
for f in "${files[@]}"; do
	[[ -f $f ]] && existing+=("$f")
done
if [[ ${#existing[@]} -gt 0 ]]; then
	unformatted=$(gofmt -l "${existing[@]}")
	if [[ -n $unformatted ]]; then
		echo "lint: these files need gofmt -w:" >&2
		echo "$unformatted" >&2
		exit 1
	fi
fi

mapfile -t packages < <(go list -m -f '{{.Path}}/...')
echo "lint: go vet ${packages[*]}"
go vet "${packages[@]}"

echo "lint: workflowcheck services/workflows (Temporal determinism)"
(cd services && ../.cache/bin/workflowcheck -config workflows/chainrun/workflowcheck.config.yaml ./workflows/...)

#!/usr/bin/env bash
# Usage: tools/breaking.sh [REF]   (default: main)
#
# `buf breaking` of the working tree against the protos at REF. Plain
# `buf breaking --against '.git#branch=main'` cannot build REF: the
# workspace's second module (.cache/protovalidate) is git-ignored, so
# validate.proto is missing there. Instead REF's buf.yaml and proto/ are
# exported into a temporary directory next to the same validate.proto, and
# that directory is the baseline.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ref=${1:-main}
cd "$root"

if ! git rev-parse --verify --quiet "$ref^{commit}" >/dev/null; then
	echo "breaking: no commit '$ref' to compare against: nothing to check"
	exit 0
fi
if [[ -z $(git ls-tree -r --name-only "$ref" -- proto | grep '\.proto$' || true) ]]; then
	echo "breaking: '$ref' has no protos yet: nothing to check"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$ref" -- buf.yaml proto | tar -x -C "$tmp"
mkdir -p "$tmp/.cache"
cp -R .cache/protovalidate "$tmp/.cache/"

echo "breaking: buf breaking against $ref ($(git rev-parse --short "$ref"))"
.cache/bin/buf breaking --against "$tmp"

#!/usr/bin/env bash
# Usage: tools/npm-install.sh DIR
#
# Runs `npm ci` in DIR unless DIR/node_modules already matches
# DIR/package-lock.json, which a stamp inside node_modules records (deleting
# node_modules therefore forces a reinstall).
set -euo pipefail

dir=${1:?usage: npm-install.sh DIR}
lock="$dir/package-lock.json"
stamp="$dir/node_modules/.manifold-lock.sha256"

[[ -f $lock ]] || {
	echo "npm-install: $lock missing: run 'npm install' in $dir and commit the lock file" >&2
	exit 1
}

want=$(sha256sum "$lock" | cut -d' ' -f1)
if [[ -f $stamp && $(<"$stamp") == "$want" ]]; then
	exit 0
fi

echo "npm-install: npm ci in ${dir#"$PWD"/}"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
echo "$want" >"$stamp"

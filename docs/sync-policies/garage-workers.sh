#!/usr/bin/env bash
# Scoring in shards on Garage: the worker role (docs/scale-out.md).
#
# Garage grants a key a whole bucket or nothing, so "a worker reads pool/ and models/ and
# writes only its results" becomes: the workers' key may READ the shared bucket (where the
# lead pushes the pool and the models) and READ+WRITE a results bucket of their own; the lead
# reads that results bucket and writes none of it.
#
# Usage:
#   garage-workers.sh BUCKET RESULTS_BUCKET LEAD_KEY [WORKER_KEY_NAME]
#
#   BUCKET           the shared bucket (must exist: garage-setup.sh or `garage bucket create`)
#   RESULTS_BUCKET   the workers' results bucket (created if missing)
#   LEAD_KEY         the lead's Garage key (name or ID)
#   WORKER_KEY_NAME  the workers' key, default sift-workers (created if missing)
#   GARAGE           (environment) the garage command, default `garage`
#
# Prints one line
#   workers key KEY_ID secret SECRET results-bucket RESULTS_BUCKET
# (the secret only when the key is new: put it in the workers' secret, nowhere else), then the
# command the lead runs. Running it again changes nothing.
set -euo pipefail

if [ $# -lt 3 ]; then
    sed -n '2,21p' "$0" >&2
    exit 2
fi
read -r -a garage <<<"${GARAGE:-garage}"
main=$1
results=$2
lead=$3
name=${4:-sift-workers}

field() { sed -n "s/^$1:[[:space:]]*//p" | head -n 1; }

if [ "$results" = "$main" ]; then
    echo "the results bucket must not be the shared bucket" >&2
    exit 2
fi
if ! "${garage[@]}" bucket info "$results" >/dev/null 2>&1; then
    "${garage[@]}" bucket create "$results" >/dev/null
fi
secret="(unchanged)"
if info=$("${garage[@]}" key info "$name" 2>/dev/null); then
    id=$(field "Key ID" <<<"$info")
else
    created=$("${garage[@]}" key create "$name")
    id=$(field "Key ID" <<<"$created")
    secret=$(field "Secret key" <<<"$created")
fi
# Workers: read the pool and the models; write their results bucket only.
"${garage[@]}" bucket deny --write --owner "$main" --key "$id" >/dev/null
"${garage[@]}" bucket allow --read "$main" --key "$id" >/dev/null
"${garage[@]}" bucket allow --read --write "$results" --key "$id" >/dev/null
# The lead: read the results, write none of them.
"${garage[@]}" bucket deny --write --owner "$results" --key "$lead" >/dev/null
"${garage[@]}" bucket allow --read "$results" --key "$lead" >/dev/null
echo "workers key $id secret $secret results-bucket $results"
echo "Then, on the lead's machine: sift sync push -p PROJECT --pool --model NAME@VERSION --workers-bucket $results"

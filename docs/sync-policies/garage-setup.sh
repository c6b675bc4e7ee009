#!/usr/bin/env bash
# Sift sync on Garage: who may write where.
#
# Garage has no bucket policies and no per-prefix rules: a key may read, write or own a whole
# bucket, nothing finer. So the rule "annotator A may write under results/A/ only" becomes
# "annotator A's key may write to A's own results bucket only": each annotator gets a bucket
# of their own that only their key can write, and the lead reads each annotator's results
# from that bucket alone (`sift sync config --results-bucket A=BUCKET`). The shared bucket,
# where the lead publishes the project, batches, reviews and media, is read-only to annotators.
#
# Usage:
#   garage-setup.sh BUCKET LEAD_KEY ANNOTATOR[=RESULTS_BUCKET]...
#
#   BUCKET          the shared bucket (created if missing); the lead's key may read, write, own it
#   LEAD_KEY        the lead's Garage key (name or ID)
#   ANNOTATOR       a Sift annotator name; their results bucket is BUCKET-results-ANNOTATOR
#                   unless given as ANNOTATOR=RESULTS_BUCKET (needed when the name has letters a
#                   bucket name cannot: uppercase, '_', '@')
#   GARAGE          (environment) the garage command, default `garage`;
#                   e.g. GARAGE="garage -c /etc/garage.toml"
#
# For each annotator it creates the key `sift-ANNOTATOR` (if missing) and prints one line
#   annotator NAME key KEY_ID secret SECRET results-bucket RESULTS_BUCKET
# (the secret only when the key is new: hand it to that annotator, and to no one else), then
# the `sift sync config` command the lead runs. Running it again changes nothing.
set -euo pipefail

if [ $# -lt 3 ]; then
    sed -n '2,27p' "$0" >&2
    exit 2
fi
read -r -a garage <<<"${GARAGE:-garage}"
main=$1
lead=$2
shift 2

valid_bucket() {
    [[ ${#1} -ge 3 && ${#1} -le 63 && $1 =~ ^[a-z0-9][a-z0-9.-]*[a-z0-9]$ ]]
}

field() { # the value of "NAME: value" in garage's output
    sed -n "s/^$1:[[:space:]]*//p" | head -n 1
}

ensure_bucket() {
    if ! "${garage[@]}" bucket info "$1" >/dev/null 2>&1; then
        "${garage[@]}" bucket create "$1" >/dev/null
    fi
}

valid_bucket "$main" || { echo "bucket '$main': use 3-63 lowercase letters, digits, '-' or '.'" >&2; exit 2; }
ensure_bucket "$main"
"${garage[@]}" bucket allow --read --write --owner "$main" --key "$lead" >/dev/null

mapping=()
for spec in "$@"; do
    name=${spec%%=*}
    results=${spec#*=}
    [ "$results" = "$spec" ] && results="$main-results-$name"
    if ! valid_bucket "$results"; then
        echo "annotator '$name': results bucket '$results' is not a valid bucket name; give one: $name=BUCKET" >&2
        exit 2
    fi
    if [ "$results" = "$main" ]; then
        echo "annotator '$name': the results bucket must not be the shared bucket" >&2
        exit 2
    fi
    ensure_bucket "$results"
    key="sift-$name"
    secret="(unchanged)"
    if info=$("${garage[@]}" key info "$key" 2>/dev/null); then
        id=$(field "Key ID" <<<"$info")
    else
        created=$("${garage[@]}" key create "$key")
        id=$(field "Key ID" <<<"$created")
        secret=$(field "Secret key" <<<"$created")
    fi
    # The annotator: read what the lead publishes; write their own results bucket only.
    "${garage[@]}" bucket deny --write --owner "$main" --key "$id" >/dev/null
    "${garage[@]}" bucket allow --read "$main" --key "$id" >/dev/null
    "${garage[@]}" bucket allow --read --write "$results" --key "$id" >/dev/null
    # The lead: read every annotator's results bucket, write none of them.
    "${garage[@]}" bucket deny --write --owner "$results" --key "$lead" >/dev/null
    "${garage[@]}" bucket allow --read "$results" --key "$lead" >/dev/null
    echo "annotator $name key $id secret $secret results-bucket $results"
    mapping+=("--results-bucket $name=$results")
done
echo "Then, on the lead's machine: sift sync config -p PROJECT --bucket $main ${mapping[*]}"

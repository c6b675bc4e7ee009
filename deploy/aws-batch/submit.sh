#!/usr/bin/env bash
# Scoring the pool in N shards as an AWS Batch array job (docs/scale-out.md). Batch sets
# AWS_BATCH_JOB_ARRAY_INDEX (0..N-1) in each child; SIFT_SHARD_COUNT must equal the array
# size. The job role (deploy/../docs/sync-policies/aws-worker-policy.json) reads pool/ and
# models/ and writes only scores/ and embeddings/.
#
#   deploy/aws-batch/submit.sh QUEUE 64 digits@1
set -euo pipefail
queue=$1; shards=$2; model=$3
aws batch register-job-definition --cli-input-json "file://$(dirname "$0")/job-definition.json" >/dev/null
aws batch submit-job \
    --job-name "sift-score-${model//[@.]/-}" \
    --job-queue "$queue" \
    --job-definition sift-score \
    --array-properties "size=$shards" \
    --parameters "model=$model" \
    --container-overrides "environment=[{name=SIFT_SHARD_COUNT,value=$shards}]"

#!/usr/bin/env bash
# Scoring the pool in 32 shards as a Slurm job array (docs/scale-out.md). Slurm sets
# SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_MIN, subtracted);
# `sift` reads them, so the script passes no shard. A task that failed is resubmitted with
# `sbatch --array=<its id> deploy/slurm/score-array.sh` and resumes its shard.
#
#   sbatch deploy/slurm/score-array.sh
#   sift sync pull -p PROJECT && sift status -p PROJECT
#
#SBATCH --job-name=sift-score
#SBATCH --array=0-31
#SBATCH --cpus-per-task=8
#SBATCH --mem=8G
#SBATCH --time=04:00:00
#SBATCH --output=sift-score-%A_%a.log
# GPU partitions: add  #SBATCH --gres=gpu:1  and use --device cuda below.
set -euo pipefail

# The bucket; the workers' key comes from a file only the user can read (chmod 600), never
# from this script.
export SIFT_BUCKET=labels SIFT_PREFIX=team-a SIFT_RESULTS_BUCKET=labels-scores AWS_REGION=eu-west-1
# shellcheck disable=SC1090
source "$HOME/.config/sift/worker-key.env"   # AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...
export SIFT_MODEL_CACHE="${TMPDIR:-/tmp}/sift-models-$SLURM_JOB_ID"

# Bare binary (sift + libonnxruntime.so from the wheel, ORT_DYLIB_PATH set), or the image:
#   apptainer exec docker://registry.example.com/sift-worker:cpu sift score ...
srun sift score --from-bucket --model digits@1 --device cpu --threads "$SLURM_CPUS_PER_TASK" --json

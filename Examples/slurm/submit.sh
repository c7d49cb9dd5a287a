#!/usr/bin/env bash
# Scores generated sets against a reference on a Slurm cluster:
#
#   Examples/slurm/submit.sh [-n SHARDS] [-w WORK] [--wait] REFERENCE GENERATED...
#
# For the reference (once: skipped when WORK/<reference>.fadstats exists already) and for each
# generated set (e.g. one per checkpoint), an array job of SHARDS tasks embeds and saves one
# shard each (shard.sbatch); one job that depends on all of them (--dependency=afterok) merges
# the shards and scores (score.sbatch). Sets are named by their folder's name, which must differ.
# WORK must be on storage every node sees; so must the sets and FAD_CACHE_DIR.
#
# Environment: FAD (the fad binary, default: fad on PATH), FAD_OPTS (model options),
# METRICS, FRAME_METRICS (see score.sbatch), SBATCH_OPTS (e.g. "--partition=cpu --time=2:00:00"),
# FAD_CACHE_DIR (shared embedding cache; default $XDG_CACHE_HOME/fad or ~/.cache/fad).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
shards=16
work=fad-work
wait=()
while [ $# -gt 0 ]; do
    case "$1" in
        -n) shards=$2; shift 2 ;;
        -w) work=$2; shift 2 ;;
        --wait) wait=(--wait); shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || { echo "usage: submit.sh [-n SHARDS] [-w WORK] [--wait] REFERENCE GENERATED..." >&2; exit 64; }
mkdir -p "$work/logs"
work=$(cd "$work" && pwd)
# shellcheck disable=SC2206
extra=(${SBATCH_OPTS:-})

absolute() { (cd "$(dirname "$1")" && echo "$(pwd)/$(basename "$1")"); }
submit_shards() {  # NAME SET -> job id
    sbatch --parsable "${extra[@]}" --array="1-$shards" --job-name="fad-$1" \
        --output="$work/logs/%x-%a.out" "$here/shard.sbatch" "$1" "$(absolute "$2")" "$work"
}

ref=$(basename "$1")
deps=()
if [ -f "$work/$ref.fadstats" ]; then
    echo "reference $ref: $work/$ref.fadstats exists, not embedded again"
else
    id=$(submit_shards "$ref" "$1"); deps+=("$id")
    echo "reference $ref: array job $id ($shards shards)"
fi
shift
names=()
for set in "$@"; do
    name=$(basename "$set")
    [ "$name" != "$ref" ] || { echo "submit.sh: $set has the reference's name $ref" >&2; exit 64; }
    id=$(submit_shards "$name" "$set"); deps+=("$id")
    names+=("$name")
    echo "generated $name: array job $id ($shards shards)"
done
dependency=()
if [ ${#deps[@]} -gt 0 ]; then
    dependency=(--dependency="afterok:$(IFS=:; echo "${deps[*]}")" --kill-on-invalid-dep=yes)
fi
id=$(sbatch --parsable "${extra[@]}" "${dependency[@]}" "${wait[@]}" --output="$work/logs/%x-%j.out" \
    "$here/score.sbatch" "$work" "$ref" "${names[@]}" || true)
echo "merge and score: job $id -> $work/scores.json"
if [ ${#wait[@]} -gt 0 ]; then
    # sbatch --wait also returns 0 for a job cancelled because a shard failed: ask for its state.
    state=$(scontrol show job "$id" 2>/dev/null | grep -oE 'JobState=[A-Z_]+' | cut -d= -f2 || true)
    if [ "$state" != COMPLETED ] || [ ! -s "$work/scores.json" ]; then
        echo "submit.sh: job $id ended ${state:-in an unknown state}; the logs:" >&2
        tail -n 5 "$work"/logs/*.out >&2 || true
        exit 1
    fi
fi

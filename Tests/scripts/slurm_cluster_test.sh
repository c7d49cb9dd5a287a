#!/usr/bin/env bash
# End-to-end test of Examples/slurm on a real (single-node) Slurm cluster.
#
#   bash Tests/scripts/slurm_cluster_test.sh
#
# Installs slurm-wlm and munge if missing, starts munged, slurmctld and slurmd on this machine
# (Tests/scripts/slurm_cluster.sh), submits the recipe with 4 shards over the bundled example
# audio (the reference and two generated sets, as two checkpoints would be), waits for it, and
# checks against one single-process run over the same audio (with its own cache, so nothing is
# shared with the cluster run):
#   - each set's merged statistics equal the single-process statistics to 1e-12 relative
#     (merging reorders the float64 sums: ~1e-16 expected), with equal frame and file counts;
#   - the scores print identically; at full precision KID (from the .npy folders) is
#     bit-identical and FAD (from the merged reference statistics) within 1e-9 relative (the
#     example sets' covariances are rank-deficient, see below).
# The daemons are stopped on exit, pass or fail. FAD=path uses that fad binary instead of
# building one; KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

if [ -z "${FAD:-}" ]; then
    swift build --product fad >/dev/null
    FAD="$root/.build/debug/fad"
fi
export FAD
command -v python3 >/dev/null || {
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-minimal >/dev/null
}

tmp=$(mktemp -d /tmp/fad-slurm-test.XXXXXX)
chmod 755 "$tmp"  # munged runs as the munge user and must reach its socket folder
cluster="$tmp/cluster"
cleanup() {
    bash "$root/Tests/scripts/slurm_cluster.sh" stop "$cluster" || true
    if [ -z "${KEEP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp"; fi
}
trap cleanup EXIT

bash Tests/scripts/slurm_cluster.sh start "$cluster"
# shellcheck disable=SC1091
source "$cluster/env"

sets=(Examples/reference Examples/generated-close Examples/generated-degraded)
work="$tmp/work"
start=$(date +%s)
FAD_CACHE_DIR="$tmp/cache-cluster" FRAME_METRICS=kid \
    bash Examples/slurm/submit.sh -n 4 -w "$work" --wait "${sets[@]}"
echo "cluster run: $(( $(date +%s) - start )) s"
[ -z "$(squeue -h)" ] || { squeue; echo "jobs still queued" >&2; exit 1; }
ls "$work"/*/shards/part-*.fadstats >/dev/null

# The same sets in one process, nothing shared with the cluster run.
single="$tmp/single"
mkdir -p "$single"
export FAD_CACHE_DIR="$tmp/cache-single"
for set in "${sets[@]}"; do
    "$FAD" stats save "$set" -o "$single/$(basename "$set").fadstats" --quiet
done
"$FAD" "${sets[@]}" --metrics fad,fad-inf --json > "$single/scores.json"
"$FAD" "${sets[@]}" --metrics kid --json > "$single/scores-frames.json"
"$FAD" "${sets[@]}" --metrics fad,fad-inf > "$single/scores.txt"
"$FAD" "${sets[@]}" --metrics kid > "$single/scores-frames.txt"

echo "== merged shard statistics vs one process =="
for set in "${sets[@]}"; do
    name=$(basename "$set")
    python3 Examples/slurm/compare_fadstats.py "$work/$name.fadstats" "$single/$name.fadstats" --tolerance 1e-12
done

echo "== scores: cluster (merged statistics, .npy folders) vs one process (audio) =="
python3 - "$work" "$single" <<'EOF'
import json, sys
work, single = sys.argv[1:3]
ok = True
for kind, path in (("FAD", "scores.json"), ("KID", "scores-frames.json")):
    a = json.load(open(f"{work}/{path}"))["sets"]
    b = json.load(open(f"{single}/{path}"))["sets"]
    assert len(a) == len(b) == 2, (len(a), len(b))
    for x, y in zip(a, b):
        vx = x["fad"]["value"] if kind == "FAD" else x["kid"]["mean"]
        vy = y["fad"]["value"] if kind == "FAD" else y["kid"]["mean"]
        rel = abs(vx - vy) / abs(vy)
        same = "bit-identical" if vx == vy else f"relative difference {rel:.1e}"
        print(f"{kind} {y['set']['path']}: cluster {vx!r}, one process {vy!r} ({same})")
        # KID reads the same .npy frames in the same order: bit-identical. FAD starts from
        # statistics that differ by ~1e-16; the example sets have 36 frames for d = 50, so their
        # covariances are rank-deficient and the matrix square root amplifies rounding at its
        # zero eigenvalues (sqrt(1e-16) ~ 1e-8 absolute): 1e-9 relative bounds that.
        tolerance = 0 if kind == "KID" else 1e-9
        ok &= rel <= tolerance and x["set"]["frames"] == y["set"]["frames"] and x["set"]["files"] == y["set"]["files"]
sys.exit(0 if ok else 1)
EOF
# The printed tables: the same rows, set paths aside.
python3 - "$work" "$single" <<'EOF'
import os, sys
work, single = sys.argv[1:3]
def rows(path):
    lines = open(path).read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("---")) + 1
    out = []
    for line in lines[start:]:
        if not line.strip() or line.startswith("note"):
            break
        name, *values = line.split()
        out.append([os.path.basename(name.rstrip("/").removesuffix("/embeddings").removesuffix(".fadstats"))] + values)
    return out
for table in ("scores.txt", "scores-frames.txt"):
    a, b = rows(f"{work}/{table}"), rows(f"{single}/{table}")
    if a != b or len(a) != 2:
        sys.exit(f"printed scores differ in {table}: {a} vs {b}")
    print(f"{table}: printed rows identical: {a}")
EOF
cat "$work/scores.txt" "$work/scores-frames.txt"
echo "slurm test: passed (4 shards x 3 sets on a single-node Slurm; merged == single-process)"

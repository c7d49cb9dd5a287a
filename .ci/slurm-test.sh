#!/usr/bin/env bash
# CI: the Slurm recipe (Examples/slurm) on a real single-node Slurm cluster that the test starts
# on this machine and stops again (Tests/scripts/slurm_cluster_test.sh; installs slurm-wlm and
# munge when missing). Uses the debug fad the unit tests built; a few minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps.sh
bash Tests/scripts/slurm_cluster_test.sh

#!/usr/bin/env bash
# deploy/slurm/submit.sh — run a probity suite in N shards on Slurm, then merge them.
#
#   submit.sh [--wait] SUITE OUT N [PROBITY] [-- SBATCH_OPTION…]
#
# Submits probity-shards.sbatch as an array 1..N (task K runs `probity run SUITE
# --shard K/N --out OUT/shards/K --quiet`) and probity-merge.sbatch with
# --dependency=afterok:<array job id> (it runs `probity merge OUT/shards/* --out OUT`
# once every task succeeded; if one fails the merge is cancelled, not left pending).
# Prints the two job ids, one per line, as
#   array_job_id=<id>
#   merge_job_id=<id>
# With --wait it then waits for the merge job to end and exits 0 only if it COMPLETED
# (non-zero, with the end of the failing logs, otherwise).
#
#   SUITE    suite file; OUT  output folder (both made absolute; OUT must be on a
#            filesystem the compute nodes share); N  number of shards (>= 1)
#   PROBITY  probity binary (default: probity on the nodes' PATH; a path is made absolute)
#   after -- : extra options passed to both sbatch calls (e.g. --partition=gpu --time=1:00:00)
#
# Output: OUT/shards/K (one folder per shard), OUT/logs/shard-K-<jobid>.out,
#         OUT/logs/merge-<jobid>.out, and the merged CSVs in OUT.
# Resuming: rerun only the failed shard K with the same SUITE/OUT/N, e.g.
#   SUITE=… OUT=… PROBITY=… SHARDS=N sbatch --export=ALL --array=K \
#     --output="OUT/logs/shard-%a-%A.out" deploy/slurm/probity-shards.sbatch
# then the merge (probity-merge.sbatch), or simply rerun this script: tasks whose shard
# is already complete resume to nothing.
#
# Environment: SLURM_CONF etc. as for any Slurm client; SUBMIT_POLL (seconds between
# state checks with --wait, default 2). Edit partition/time/mem in the .sbatch files.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
die() { echo "submit.sh: $*" >&2; exit 2; }

wait_flag=0
pos=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --wait) wait_flag=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (sbatch options go after --)" ;;
    *) pos+=("$1") ;;
  esac
  shift
done
[ "${#pos[@]}" -ge 3 ] && [ "${#pos[@]}" -le 4 ] || die "usage: submit.sh [--wait] SUITE OUT N [PROBITY] [-- SBATCH_OPTION…]"

SUITE=${pos[0]}; OUT=${pos[1]}; N=${pos[2]}; PROBITY=${pos[3]:-probity}
case "$N" in ''|*[!0-9]*|0) die "N must be a positive integer, got '$N'" ;; esac
[ -f "$SUITE" ] || die "no suite file $SUITE"
SUITE="$(cd "$(dirname "$SUITE")" && pwd -P)/$(basename "$SUITE")"
mkdir -p "$OUT/shards" "$OUT/logs"
OUT=$(cd "$OUT" && pwd -P)
case "$PROBITY" in
  */*) [ -x "$PROBITY" ] || die "$PROBITY is not executable"
       PROBITY="$(cd "$(dirname "$PROBITY")" && pwd -P)/$(basename "$PROBITY")" ;;
  *) command -v "$PROBITY" >/dev/null 2>&1 || echo "submit.sh: warning: $PROBITY is not on this host's PATH; the nodes must have it" >&2 ;;
esac
command -v sbatch >/dev/null 2>&1 || die "sbatch not found"

# Passed through the environment (--export=ALL) rather than --export=VAR=value, so
# paths with commas survive.
export SUITE OUT PROBITY SHARDS="$N"

array_id=$(sbatch --parsable --export=ALL --array="1-$N" \
  --output="$OUT/logs/shard-%a-%A.out" "${extra[@]}" "$here/probity-shards.sbatch")
array_id=${array_id%%;*}   # --parsable prints "id" or "id;cluster"
[ -n "$array_id" ] || die "sbatch of the shard array returned no job id"

merge_id=$(sbatch --parsable --export=ALL --dependency="afterok:$array_id" --kill-on-invalid-dep=yes \
  --output="$OUT/logs/merge-%j.out" "${extra[@]}" "$here/probity-merge.sbatch") \
  || { scancel "$array_id" 2>/dev/null || true; die "sbatch of the merge failed (array $array_id cancelled)"; }
merge_id=${merge_id%%;*}

echo "array_job_id=$array_id"
echo "merge_job_id=$merge_id"
[ "$wait_flag" = 1 ] || exit 0

job_state() {  # JobState of job $1 from scontrol (kept MinJobAge after the end), else sacct
  local s
  s=$(scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1 | cut -d= -f2 || true)
  if [ -z "$s" ] && command -v sacct >/dev/null 2>&1; then
    s=$(sacct -n -X -P -j "$1" -o State 2>/dev/null | head -n 1 | awk '{print $1}' || true)
  fi
  echo "$s"
}

poll=${SUBMIT_POLL:-2}
state=""
misses=0
while :; do
  state=$(job_state "$merge_id")
  case "$state" in
    PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|RESIZING|SUSPENDED|STAGE_OUT|SIGNALING|REQUEUE_HOLD|REQUEUE_FED|RESV_DEL_HOLD) misses=0 ;;
    "") misses=$((misses + 1)); [ "$misses" -ge 10 ] && break ;;
    *) break ;;
  esac
  sleep "$poll"
done

if [ "$state" = COMPLETED ]; then
  echo "submit.sh: merge job $merge_id COMPLETED; results in $OUT"
  exit 0
fi
echo "submit.sh: merge job $merge_id ended ${state:-in an unknown state (no longer known to scontrol/sacct)}" >&2
# Logs of the array tasks that did not complete (as far as scontrol still knows), and the merge's.
failed=$(scontrol show job -o "$array_id" 2>/dev/null \
  | awk '{ k = ""; s = ""; for (i = 1; i <= NF; i++) { if ($i ~ /^ArrayTaskId=/) k = substr($i, 13); if ($i ~ /^JobState=/) s = substr($i, 10) }
           if (k != "" && s != "COMPLETED") print k }' || true)
for f in $(for k in $failed; do echo "$OUT/logs/shard-$k-$array_id.out"; done) "$OUT/logs/merge-$merge_id.out"; do
  [ -s "$f" ] || continue
  echo "----- tail -n 15 $f" >&2
  tail -n 15 "$f" >&2
done
exit 1

#!/usr/bin/env bash
# Benchmarks kforge against its peers on synthetic repositories (issue 7),
# all in one run on this machine, and prints a table of wall time,
# objects/s, peak RSS and kforge's ratio to each peer, then one PASS/FAIL
# line per target of the issue.
#
# Usage: scripts/bench.sh                     the full run (about 1,000, 6,000,
#                                             10,000 and 50,000 objects)
#        scripts/bench.sh --smoke             one tiny repository, every step
#                                             once; checks that every step gave
#                                             sane output; no timing verdicts
#        scripts/bench.sh --write-benchmarks  the full run, then the generated
#                                             part of BENCHMARKS.md is replaced
#        scripts/bench.sh --keep              keep the generated repositories
#        scripts/bench.sh --live [--smoke]    only diff --live against kubectl diff
#                                             --server-side on a real API server
#                                             (scripts/bench-live.sh, issue 17)
#
# For each size: examples/synthetic_repo writes a repository (base
# environment only), and these run in it:
#   kforge check          compile + validate everything render does, writing
#                         nothing (render minus the file system)
#   kforge render, cold   into an out directory that never existed (writes
#                         one file per object)
#   kforge render, no-op  again on the unchanged tree: must write 0 files
#   kforge validate       on the emitted tree
#   kforge diff --base    the blueprint committed (git), one app changed in the
#                         work tree: both compiles and the comparison
#   kubectl kustomize     on the emitted tree, up to 6,000 objects and
#                         time-boxed (it grows about quadratically: minutes
#                         at 6,000 objects on a 2-core machine)
#   kubernetes-validate --strict -k 1.33 on a sample of the emitted files,
#                         rate extrapolated per object
#   kubeconform -strict   on the whole emitted tree, one run, against kforge's
#                         own strict schemas of the same minor written as files
#                         (examples/standalone_schemas.rs); installed from its
#                         Go module (scripts/lib/kubeconform.sh)
# Once per run, accuracy: kforge validate and kubeconform on every file of
# tests/corpus, scored against the real API server's verdicts recorded in
# tests/corpus/apiserver-verdicts.txt (tests/apiserver_oracle.rs keeps it true).
# Then, per findings size, a findings-heavy repository (no app sets a
# securityContext: three lint warnings per app) and the same blueprint with
# those rules disabled (spec.lint.disable), each checked with text and JSON
# output, the four runs interleaved:
#   kforge check, findings   text (default --max-diagnostics) and --output json
#   kforge check, disabled   the same work minus the findings
# Each kforge step runs KFORGE_BENCH_REPS times (median wall time, highest
# RSS); the peers run once. Wall time is measured by the shell, peak RSS and
# CPU time by GNU time. The markdown table goes to target/bench/results.md
# (--smoke: results-smoke.md).
#
# Environment:
#   KFORGE_BENCH_SIZES="1000 6000 10000 50000"  object counts to generate
#   KFORGE_BENCH_FINDINGS_SIZES="10000 50000"  sizes of the findings-heavy runs
#                                     (smoke: 200)
#   KFORGE_BENCH_REPS=3               runs of each kforge step
#   KFORGE_BENCH_SAMPLE=200           objects given to kubernetes-validate
#   KFORGE_BENCH_KUSTOMIZE_MAX=6000   largest size kubectl kustomize runs at
#   KFORGE_BENCH_KUSTOMIZE_TIMEOUT=300  seconds before kustomize is stopped
#   KFORGE_BENCH_PROFILE=release      cargo profile of kforge (smoke: debug)
#   KFORGE_BENCH_BIN=PATH             measure this kforge binary instead (say,
#                                     another branch's build, to compare)
#   KFORGE_BENCH_STRICT=1             exit 1 when a target is not met
#   KFORGE_BENCH_WORK=DIR             where the repositories are generated and
#                                     rendered (default target/bench)
#   KFORGE_TOOLS_BIN=DIR              where kubernetes-validate and python are
#                                     (default: target/tools-venv/bin)
# Exit status: 0 when every step gave sane output, 1 when one did not (or,
# with KFORGE_BENCH_STRICT=1, when a target is not met), 2 on bad usage.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

SMOKE=0
WRITE_BENCHMARKS=0
KEEP=0
LIVE=0
for arg in "$@"; do
  case $arg in
    --smoke) SMOKE=1 ;;
    --write-benchmarks) WRITE_BENCHMARKS=1 ;;
    --keep) KEEP=1 ;;
    --live) LIVE=1 ;;
    -h | --help)
      sed -n '2,69p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench.sh: unknown argument: $arg" >&2
      exit 2
      ;;
  esac
done
# --live: only kforge diff --live against kubectl diff --server-side on a real API
# server (scripts/bench-live.sh; issue 17).
if [[ $LIVE -eq 1 ]]; then
  live_args=()
  [[ $SMOKE -eq 1 ]] && live_args=(--smoke)
  exec "$ROOT/scripts/bench-live.sh" "${live_args[@]}"
fi
if [[ $SMOKE -eq 1 && $WRITE_BENCHMARKS -eq 1 ]]; then
  echo "bench.sh: --write-benchmarks needs the full run, not --smoke" >&2
  exit 2
fi

if [[ $SMOKE -eq 1 ]]; then
  SIZES=${KFORGE_BENCH_SIZES:-200}
  FINDINGS_SIZES=${KFORGE_BENCH_FINDINGS_SIZES:-200}
  REPS=${KFORGE_BENCH_REPS:-1}
  SAMPLE=${KFORGE_BENCH_SAMPLE:-20}
  PROFILE=${KFORGE_BENCH_PROFILE:-debug}
else
  SIZES=${KFORGE_BENCH_SIZES:-1000 6000 10000 50000}
  FINDINGS_SIZES=${KFORGE_BENCH_FINDINGS_SIZES:-10000 50000}
  REPS=${KFORGE_BENCH_REPS:-3}
  SAMPLE=${KFORGE_BENCH_SAMPLE:-200}
  PROFILE=${KFORGE_BENCH_PROFILE:-release}
fi
KUSTOMIZE_MAX=${KFORGE_BENCH_KUSTOMIZE_MAX:-6000}
KUSTOMIZE_TIMEOUT=${KFORGE_BENCH_KUSTOMIZE_TIMEOUT:-300}
K8S_VERSION=1.33
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
BENCH=$TARGET_DIR/bench
WORK=${KFORGE_BENCH_WORK:-$BENCH}
# A smoke run does not overwrite the full run's table.
RESULTS=$BENCH/results.md
if [[ $SMOKE -eq 1 ]]; then RESULTS=$BENCH/results-smoke.md; fi

section() {
  printf '\n==> %s\n' "$*"
}

die() {
  printf 'bench.sh: %s\n' "$*" >&2
  exit 1
}

# Prints a log file indented, at most 20 lines, to stderr.
show() {
  sed -n '1,20s/^/    /p' "$1" >&2
}

# ---------------------------------------------------------------- tools ----

# as_root, apt_install, install_commands, install_bench_tools,
# install_python_tools, VENV.
# shellcheck source=scripts/lib/tools.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/tools.sh"

section "tools"
install_bench_tools
if [[ -n ${KFORGE_TOOLS_BIN:-} ]]; then
  TOOLS_BIN=$KFORGE_TOOLS_BIN
else
  install_python_tools
  TOOLS_BIN=$VENV/bin
fi
PY=$TOOLS_BIN/python
KV=$TOOLS_BIN/kubernetes-validate
# setup_kubeconform, KUBECONFORM_VERSION.
# shellcheck source=scripts/lib/kubeconform.sh disable=SC1091 # checked on its own
source "$ROOT/scripts/lib/kubeconform.sh"
setup_kubeconform || die "kubeconform could not be installed"
KC=$KFORGE_KUBECONFORM
for tool in /usr/bin/time kubectl timeout "$PY" "$KV"; do
  command -v "$tool" >/dev/null 2>&1 || die "tool missing: $tool (run ./scripts/test.sh --tools-only)"
done

section "build ($PROFILE)"
profile_flag=()
if [[ $PROFILE == release ]]; then
  profile_flag=(--release)
elif [[ $PROFILE != debug ]]; then
  profile_flag=(--profile "$PROFILE")
fi
cargo build -q "${profile_flag[@]}" --bin kforge --example synthetic_repo --example standalone_schemas ||
  die "cargo build failed"
KFORGE=${KFORGE_BENCH_BIN:-$TARGET_DIR/$PROFILE/kforge}
GEN=$TARGET_DIR/$PROFILE/examples/synthetic_repo
[[ -x $KFORGE && -x $GEN ]] || die "built binaries not found under $TARGET_DIR/$PROFILE"
mkdir -p "$BENCH" "$WORK"
# kubeconform's schemas: kforge's strict schemas of the same minor, one file per kind.
KC_SCHEMAS=$BENCH/kubeconform-schemas-$K8S_VERSION
rm -rf "$KC_SCHEMAS"
"$TARGET_DIR/$PROFILE/examples/standalone_schemas" "$KC_SCHEMAS" "$K8S_VERSION" >/dev/null ||
  die "standalone_schemas failed"
KC_ARGS=(-strict -summary -output json -kubernetes-version "$K8S_VERSION.0"
  -schema-location "$KC_SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" -skip Kustomization)
# What an earlier run left, deleted before the clock starts. ext4 without a journal (as
# here) does not reuse an inode for 60 s after its deletion (up to 6 minutes while the
# inode table is unwritten), and creating a file meanwhile scans past every such inode:
# after deleting a few hundred thousand files, creating 10,000 took 2-5 s instead of 0.4 s.
# So a run that had to delete many files waits that window out before it measures.
leftovers=$({ find "$BENCH"/repo-* "$WORK"/repo-* "$BENCH"/logs-* "$BENCH"/kv-* 2>/dev/null || true; } | wc -l)
rm -rf "$BENCH"/repo-* "$WORK"/repo-* "$BENCH"/logs-* "$BENCH"/kv-*
sync
if [[ $leftovers -gt 10000 && $SMOKE -eq 0 ]]; then
  echo "deleted $leftovers files an earlier run left; waiting 65 s until ext4 reuses their inodes"
  sleep 65
fi

# ------------------------------------------------------------ measuring ----

# CPU time (in clock ticks) used by the whole machine and by this shell with
# every child it waited for; their difference over the run is what other
# processes took, i.e. how disturbed the timings may be.
machine_ticks() {
  awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
own_ticks() {
  # Fields after the command name: utime stime cutime cstime are 14..17.
  sed 's/^.*) //' "/proc/$$/stat" | awk '{ print $12 + $13 + $14 + $15 }'
}
CLK_TCK=$(getconf CLK_TCK)
# Microseconds in which some task waited for I/O (pressure stall
# information); 0 where the kernel does not provide it.
io_stall_us() {
  sed -n 's/^some .*total=\([0-9]*\)$/\1/p' /proc/pressure/io 2>/dev/null || echo 0
}
IO_STALL_START=$(io_stall_us)
RUN_START=$EPOCHREALTIME
MACHINE_TICKS_START=$(machine_ticks)
OWN_TICKS_START=$(own_ticks)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# run_timed LOG CMD...: runs CMD with stdout in LOG.out and stderr in LOG.err;
# sets RC, WALL (s), RSS (KiB), USER and SYS (CPU s).
run_timed() {
  local log=$1 start end
  shift
  RC=0
  start=$EPOCHREALTIME
  /usr/bin/time -f '%M %U %S' -o "$log.time" "$@" >"$log.out" 2>"$log.err" || RC=$?
  end=$EPOCHREALTIME
  WALL=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }')
  # GNU time puts "Command exited with non-zero status N" before the figures.
  read -r RSS USER SYS < <(tail -n 1 "$log.time")
}

# Per "step:size": median wall time, highest RSS, median CPU times, objects.
declare -A T_WALL T_RSS T_USER T_SYS T_OBJECTS T_NOTE T_KV_RATE T_FINDINGS
STEPS=()

# The median of the numbers given.
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# Records the runs of one step: record KEY OBJECTS WALLS RSSES USERS SYSES
# (each of the last four a space-separated list).
record() {
  local key=$1 objects=$2 walls=$3 rsses=$4 users=$5 syses=$6
  # shellcheck disable=SC2086 # the lists are split on purpose
  {
    T_WALL[$key]=$(median $walls)
    T_RSS[$key]=$(printf '%s\n' $rsses | sort -g | tail -n 1)
    T_USER[$key]=$(median $users)
    T_SYS[$key]=$(median $syses)
  }
  T_OBJECTS[$key]=$objects
  STEPS+=("$key")
}

# reps KEY REPS PREPARE CHECK CMD...: runs CMD REPS times in the current
# directory, PREPARE (a function name or :) before each run and CHECK (a
# function taking the log prefix) after each; records the step as KEY.
# CHECK sets OBJECTS. In CMD, @REP@ stands for the run's number (REP).
reps() {
  local key=$1 n=$2 prepare=$3 check=$4 i walls='' rsses='' users='' syses=''
  shift 4
  for ((i = 1; i <= n; i++)); do
    REP=$i
    "$prepare"
    run_timed "$LOGS/${key%%:*}.$i" "${@//@REP@/$i}"
    "$check" "$LOGS/${key%%:*}.$i"
    walls+="$WALL "
    rsses+="$RSS "
    users+="$USER "
    syses+="$SYS "
  done
  record "$key" "$OBJECTS" "$walls" "$rsses" "$users" "$syses"
  printf '  %-22s %8.3f s  %8s objects  %6d MiB\n' "${key%%:*}" "${T_WALL[$key]}" \
    "$OBJECTS" $((${T_RSS[$key]} / 1024))
}

# ------------------------------------------------------- output checks ----

# Each check_* dies with the log shown when a step's output is not sane.

expect_rc() { # LOG WANTED
  if [[ $RC -ne $2 ]]; then
    echo "bench.sh: $(basename "$1") exited $RC (wanted $2)" >&2
    show "$1.err"
    exit 1
  fi
}

check_check() {
  expect_rc "$1" 0
  OBJECTS=$(sed -n 's|^big/base: ok (\([0-9]*\) objects)$|\1|p' "$1.err")
  [[ -n $OBJECTS ]] || { show "$1.err" && die "kforge check: no \"big/base: ok (N objects)\" line"; }
}

# The render summary "OUT/big/base: N objects; A added, C changed, R removed, U unchanged".
render_summary() { # LOG -> sets OBJECTS ADDED CHANGED REMOVED UNCHANGED
  local line
  line=$(sed -n 's|^[^:]*/big/base: \([0-9]*\) objects; \([0-9]*\) added, \([0-9]*\) changed, \([0-9]*\) removed, \([0-9]*\) unchanged$|\1 \2 \3 \4 \5|p' "$1.err")
  [[ -n $line ]] || { show "$1.err" && die "kforge render: no summary line"; }
  read -r OBJECTS ADDED CHANGED REMOVED UNCHANGED <<<"$line"
}

check_cold() {
  expect_rc "$1" 0
  render_summary "$1"
  # One file per object and the kustomization.yaml.
  if [[ $ADDED -ne $((OBJECTS + 1)) || $CHANGED -ne 0 || $REMOVED -ne 0 || $UNCHANGED -ne 0 ]]; then
    show "$1.err"
    die "cold render did not add exactly one file per object plus kustomization.yaml"
  fi
  local files
  files=$(find "cold-$REP/big/base" -type f -name '*.yaml' | wc -l)
  [[ $files -eq $ADDED ]] || die "cold render: $files files under cold-$REP/big/base, summary says $ADDED added"
}

check_noop() {
  expect_rc "$1" 0
  render_summary "$1"
  if [[ $ADDED -ne 0 || $CHANGED -ne 0 || $REMOVED -ne 0 ]]; then
    show "$1.err"
    die "no-op re-render changed files (wanted \"0 added, 0 changed, 0 removed\")"
  fi
  [[ $UNCHANGED -eq $((OBJECTS + 1)) ]] || die "no-op re-render: $UNCHANGED unchanged, wanted $((OBJECTS + 1))"
  # Not only the summary: no file of out/ was written since the cold render.
  local written
  written=$(find "$OUT" -newer "$MARKER" | wc -l)
  [[ $written -eq 0 ]] || die "no-op re-render wrote $written files or directories"
  NOOP_WRITTEN=$written
}

check_validate() {
  expect_rc "$1" 0
  local counts
  counts=$("$PY" -c '
import json, sys
r = json.load(open(sys.argv[1]))
f = r["findings"]
print(r["objects"], sum(x["severity"] == "error" for x in f), sum(x["severity"] == "warning" for x in f))
' "$1.out") || die "kforge validate --output json: unreadable output"
  read -r OBJECTS VALIDATE_ERRORS VALIDATE_WARNINGS <<<"$counts"
  [[ $OBJECTS -eq $RENDERED ]] || die "kforge validate saw $OBJECTS objects, render wrote $RENDERED"
  [[ $VALIDATE_ERRORS -eq 0 ]] || die "kforge validate: $VALIDATE_ERRORS errors on kforge's own output"
}

# kubeconform's JSON summary: every object valid, as many as kforge validated
# (the skipped one is kustomization.yaml, as kforge validate leaves it too).
check_kubeconform() {
  expect_rc "$1" 0
  local counts
  counts=$("$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(s["valid"], s["invalid"] + s["errors"], s["skipped"])
' "$1.out") || die "kubeconform -output json: unreadable output"
  local bad
  read -r OBJECTS bad KC_SKIPPED <<<"$counts"
  [[ $bad -eq 0 ]] || { show "$1.out" && die "kubeconform: $bad invalid objects in kforge's own output"; }
  [[ $OBJECTS -eq $RENDERED ]] ||
    die "kubeconform found $OBJECTS valid objects (and skipped $KC_SKIPPED), render wrote $RENDERED"
}

# The diff of one changed app: exit 1, exactly one change, a Deployment.
check_diff() {
  expect_rc "$1" 1
  grep -qxF 'Plan: 0 to add, 1 to change, 0 to move, 0 to remove.' "$1.out" ||
    { show "$1.out" && die "kforge diff --base: wanted exactly one change"; }
  grep -qxF '  Deployment: 1 to change' "$1.out" ||
    { show "$1.out" && die "kforge diff --base: the change is not the app's Deployment"; }
  OBJECTS=$RENDERED
}

# Every cold render gets an out directory that never existed: re-creating
# files right after deleting as many costs several times the kernel time of
# a fresh checkout on ext4, which would measure the previous rm -rf.
fresh_out() {
  [[ ! -e cold-$REP ]] || die "cold-$REP exists already"
}

# Flushes what earlier steps wrote, so that their write-back is not billed to the step
# measured next (the no-op render after five cold renders of 10,000 files each). Not before
# each cold render: a fresh checkout does not get one either.
settle() {
  sync
}


mark() {
  # The marker is older than anything a no-op render could write.
  touch "$MARKER"
  settle
  sleep 0.01
}

# --------------------------------------------------------------- a size ----

kv_sample() { # DIR SIZE: copies about SAMPLE core-Kubernetes files spread over the tree
  local dir=$1 size=$2 files stride i candidates
  candidates=$BENCH/kv-candidates-$size
  rm -rf "$candidates" "$dir"
  mkdir -p "$candidates" "$dir"
  mapfile -t files < <(find "$OUT/big/base" -type f -name '*.yaml' ! -name kustomization.yaml | sort)
  # About 1/11 of the objects are Calico policies, which kubernetes-validate
  # has no schema for: take a few more candidates than needed.
  stride=$((${#files[@]} * 10 / (SAMPLE * 13)))
  [[ $stride -ge 1 ]] || stride=1
  for ((i = 0; i < ${#files[@]}; i += stride)); do
    cp "${files[i]}" "$candidates/$(printf '%06d' "$i")-$(basename "${files[i]}")"
  done
  "$PY" "$ROOT/scripts/compare_kustomize.py" core-files "$candidates" >"$candidates.list" ||
    die "compare_kustomize.py core-files failed"
  head -n "$SAMPLE" "$candidates.list" | while IFS= read -r f; do mv "$f" "$dir/"; done
  rm -f "$candidates.list"
  rm -rf "$candidates"
}

bench_size() {
  local size=$1 repo
  repo=$WORK/repo-$size
  section "$size objects"
  rm -rf "$repo"
  "$GEN" "$repo" "$size" >/dev/null || die "synthetic_repo $size failed"
  # The main table renders the base environment only.
  rm -rf "$repo/overlays"
  LOGS=$BENCH/logs-$size
  rm -rf "$LOGS"
  mkdir -p "$LOGS"
  MARKER=$LOGS/marker
  cd "$repo"
  settle

  reps "check:$size" "$REPS" : check_check "$KFORGE" check --env base
  reps "cold:$size" "$REPS" fresh_out check_cold "$KFORGE" render --env base --out "cold-@REP@"
  RENDERED=$OBJECTS
  # The first cold render's tree is the one re-rendered and validated.
  OUT=cold-1
  [[ $RENDERED -eq ${T_OBJECTS[check:$size]} ]] ||
    die "render wrote $RENDERED objects, check counted ${T_OBJECTS[check:$size]}"
  mark
  reps "noop:$size" "$REPS" : check_noop "$KFORGE" render --env base --out "$OUT"
  reps "validate:$size" "$REPS" : check_validate "$KFORGE" validate --output json "$OUT/big/base"
  T_NOTE[validate:$size]="$VALIDATE_WARNINGS warnings"

  # kubeconform on the same tree, once (its own parallelism: -n, 4 workers by default).
  run_timed "$LOGS/kubeconform" "$KC" "${KC_ARGS[@]}" "$OUT/big/base"
  check_kubeconform "$LOGS/kubeconform"
  record "kc:$size" "$OBJECTS" "$WALL" "$RSS" "$USER" "$SYS"
  T_NOTE[kc:$size]="$KC_SKIPPED skipped"
  printf '  %-22s %8.3f s  %8s objects  %6d MiB\n' kubeconform "$WALL" "$OBJECTS" $((RSS / 1024))

  # kforge diff --base: the blueprint committed, then one app's image changed in the work
  # tree; both compiles (the revision read from git objects, and the work tree) and the
  # comparison of every file. The script uses git to set the repository up; kforge does not.
  if ! { git init -q . && git add blueprints &&
    git -c user.name=bench -c user.email=bench@example.com commit -q -m base; }; then
    die "git could not commit the synthetic blueprint"
  fi
  sed -i 's|/app-7:1\.7\.0$|/app-7:1.7.1|' blueprints/big.yaml
  reps "diff:$size" "$REPS" : check_diff "$KFORGE" diff --base HEAD --env base
  T_NOTE[diff:$size]="1 object changed of $OBJECTS"
  git checkout -q -- blueprints

  # kubectl kustomize on the emitted tree.
  if [[ $size -le $KUSTOMIZE_MAX ]]; then
    run_timed "$LOGS/kustomize" timeout "$KUSTOMIZE_TIMEOUT" kubectl kustomize "$OUT/big/base"
    if [[ $RC -eq 124 ]]; then
      OBJECTS=0
      T_NOTE[kustomize:$size]="stopped after ${KUSTOMIZE_TIMEOUT} s"
    else
      expect_rc "$LOGS/kustomize" 0
      # Every document of kustomize's stream has its kind at column 0.
      OBJECTS=$(grep -c '^kind:' "$LOGS/kustomize.out" || true)
      [[ $OBJECTS -eq $RENDERED ]] || die "kubectl kustomize yielded $OBJECTS objects, wanted $RENDERED"
    fi
    record "kustomize:$size" "$OBJECTS" "$WALL" "$RSS" "$USER" "$SYS"
    printf '  %-22s %8.3f s  %8s objects  %6d MiB\n' kustomize "$WALL" "$OBJECTS" $((RSS / 1024))
    rm -f "$LOGS/kustomize.out"
  else
    echo "  kustomize skipped: $size objects > KFORGE_BENCH_KUSTOMIZE_MAX=$KUSTOMIZE_MAX" \
      "(it grows about quadratically: minutes already at 6,000 objects)"
    T_NOTE[kustomize:$size]=skipped
  fi

  # kubernetes-validate --strict on a sample; one file alone first measures
  # the start-up, so the per-object rate is the marginal one.
  local sample="$BENCH/kv-sample-$size" files
  kv_sample "$sample" "$size"
  mapfile -t files < <(find "$sample" -type f | sort)
  [[ ${#files[@]} -ge 2 ]] || die "sample for kubernetes-validate has ${#files[@]} files"
  run_timed "$LOGS/kv-one" "$KV" --strict -k "$K8S_VERSION" "${files[0]}"
  expect_rc "$LOGS/kv-one" 0
  local startup=$WALL
  run_timed "$LOGS/kv" "$KV" --strict -k "$K8S_VERSION" "${files[@]}"
  expect_rc "$LOGS/kv" 0
  local passed
  passed=$(grep -c '^INFO .* passed' "$LOGS/kv.out" "$LOGS/kv.err" | awk -F: '{ s += $NF } END { print s }')
  if [[ $passed -ne ${#files[@]} ]] || grep -q -e '^WARN' -e '^ERROR' "$LOGS/kv.out" "$LOGS/kv.err"; then
    show "$LOGS/kv.err"
    die "kubernetes-validate passed $passed of ${#files[@]} sampled files"
  fi
  record "kv:$size" "${#files[@]}" "$WALL" "$RSS" "$USER" "$SYS"
  T_NOTE[kv:$size]=$(awk -v t="$WALL" -v s="$startup" -v n="${#files[@]}" -v all="$RENDERED" \
    'BEGIN { r = (n - 1) / (t - s); printf "%.3f s start-up; marginal %.0f objects/s, ~%.0f s for all %d", s, r, s + all / r, all }')
  T_KV_RATE[$size]=$(awk -v t="$WALL" -v s="$startup" -v n="${#files[@]}" 'BEGIN { printf "%.2f", (n - 1) / (t - s) }')
  printf '  %-22s %8.3f s  %8s objects  (%s)\n' kubernetes-validate "$WALL" "${#files[@]}" "${T_NOTE[kv:$size]}"

  cd "$ROOT"
  rm -rf "$sample"
}

# ------------------------------------------------------------- findings ----

# A findings run's output: exit 0, the "big/base: ok (N objects)" line, and
# as many warnings as expected (FINDINGS_EXPECTED), counted in the text
# report's closing line or in the JSON.
check_findings() { # LOG VARIANT FORMAT
  local log=$1 variant=$2 format=$3 found wanted=$FINDINGS_EXPECTED
  check_check "$log"
  [[ $variant == findings ]] || wanted=0
  if [[ $format == json ]]; then
    # A run without findings prints no JSON at all.
    found=$("$PY" -c '
import json, sys
text = open(sys.argv[1]).read()
print(sum(f["severity"] == "warning" for f in json.loads(text)["findings"]) if text.strip() else 0)
' "$log.out") || die "kforge check --output json: unreadable output"
  else
    # The closing count when there is one, else every warning was drawn.
    found=$(sed -n 's/^\([0-9,]*\) warnings in all.*$/\1/p' "$log.err" | tr -d ,)
    [[ -n $found ]] || found=$(grep -c '^warning\[' "$log.err" || true)
  fi
  if [[ $found != "$wanted" ]]; then
    show "$log.err"
    die "kforge check ($variant, $format): ${found:-no count of} warnings, wanted $wanted"
  fi
}

# The findings-heavy repository and the same blueprint with those rules
# disabled, each checked with text and JSON output; the four runs are
# interleaved, so that a slower stretch of the machine weighs on all alike.
# The sizes are not: on a VM that hands freed memory back to its host, a
# 50,000-object run right after a 10,000-object one touches 270 MiB the host
# has to fault in again (tried: 0.3-0.7 s of system time in most such runs,
# against 0.03-0.1 s after a run of its own size).
bench_findings() {
  local size=$1 variant format key i apps per
  section "$size objects, findings-heavy and the same with those rules disabled"
  for variant in findings disabled; do
    rm -rf "$WORK/repo-$size-$variant"
    local flag=--findings
    [[ $variant == disabled ]] && flag=--findings-disabled
    read -r apps per < <("$GEN" "$WORK/repo-$size-$variant" "$size" "$flag" |
      sed -n 's/^.*: \([0-9]*\) apps, each drawing \([0-9]*\) lint warnings.*$/\1 \2/p') || true
    [[ -n ${per:-} ]] || die "synthetic_repo $size $flag failed"
    rm -rf "$WORK/repo-$size-$variant/overlays"
  done
  FINDINGS_EXPECTED=$((apps * per))
  LOGS=$BENCH/logs-$size-findings
  rm -rf "$LOGS"
  mkdir -p "$LOGS"
  settle
  declare -A walls rsses users syses
  for ((i = 1; i <= REPS; i++)); do
    for variant in findings disabled; do
      for format in text json; do
        key=${variant:0:1}$format
        cd "$WORK/repo-$size-$variant"
        run_timed "$LOGS/$key.$i" "$KFORGE" check --env base --output "$format"
        check_findings "$LOGS/$key.$i" "$variant" "$format"
        walls[$key]+="$WALL "
        rsses[$key]+="$RSS "
        users[$key]+="$USER "
        syses[$key]+="$SYS "
      done
    done
  done
  cd "$ROOT"
  for key in ftext fjson dtext djson; do
    record "$key:$size" "$OBJECTS" "${walls[$key]}" "${rsses[$key]}" "${users[$key]}" "${syses[$key]}"
    printf '  %-22s %8.3f s  %8s objects  %6d MiB\n' "$key" "${T_WALL[$key:$size]}" \
      "$OBJECTS" $((${T_RSS[$key:$size]} / 1024))
  done
  T_FINDINGS[$size]=$FINDINGS_EXPECTED
}

# ------------------------------------------------------------- accuracy ----

# kforge validate (one run per file, its exit code) and kubeconform (one run
# over every file) on the corpus, each verdict compared with the API server's.
bench_accuracy() {
  section "accuracy on tests/corpus against the API server's verdicts"
  local verdicts=$ROOT/tests/corpus/apiserver-verdicts.txt files f rc
  mapfile -t files < <(grep -v '^#' "$verdicts" | cut -d' ' -f1)
  [[ ${#files[@]} -ge 100 ]] || die "$verdicts lists ${#files[@]} files"
  local kforge_verdicts=$BENCH/corpus-kforge.txt kc_json=$BENCH/corpus-kubeconform.json
  : >"$kforge_verdicts"
  for f in "${files[@]}"; do
    rc=0
    "$KFORGE" validate "$ROOT/tests/corpus/$f" >/dev/null 2>&1 || rc=$?
    [[ $rc -le 2 ]] || die "kforge validate $f exited $rc"
    printf '%s %s\n' "$f" "$([[ $rc -eq 0 ]] && echo accepts || echo rejects)" >>"$kforge_verdicts"
  done
  # Exit 1 is "some file invalid", which the corpus has on purpose.
  (cd "$ROOT/tests/corpus" && "$KC" "${KC_ARGS[@]}" -verbose "${files[@]}") >"$kc_json" 2>"$kc_json.err" || true
  local scores
  scores=$("$PY" - "$verdicts" "$kforge_verdicts" "$kc_json" "$BENCH/corpus-misses.txt" <<'PY'
import json, sys
truth = dict(l.split() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#"))
kforge = dict(l.split() for l in open(sys.argv[2]) if l.strip())
rejected = {f: False for f in truth}
for r in json.load(open(sys.argv[3]))["resources"]:
    if r["status"] in ("statusInvalid", "statusError"):
        rejected[r["filename"]] = True
kc = {f: ("rejects" if bad else "accepts") for f, bad in rejected.items()}
with open(sys.argv[4], "w") as out:
    for f in sorted(truth):
        for tool, v in (("kforge", kforge[f]), ("kubeconform", kc[f])):
            if v != truth[f]:
                print(f"{tool} {v}, the API server {truth[f]}: {f}", file=out)
def right(v):
    return sum(v[f] == truth[f] for f in truth)
print(len(truth), right(kforge), right(kc))
PY
) || die "scoring the corpus verdicts failed"
  read -r ACC_FILES ACC_KFORGE ACC_KC <<<"$scores"
  printf '  %-22s %d of %d files as the API server judges them\n' "kforge validate" "$ACC_KFORGE" "$ACC_FILES"
  printf '  %-22s %d of %d files as the API server judges them\n' kubeconform "$ACC_KC" "$ACC_FILES"
  echo "  misses: ${BENCH#"$ROOT"/}/corpus-misses.txt"
}

bench_accuracy
for size in $SIZES; do
  bench_size "$size"
done
for size in $FINDINGS_SIZES; do
  bench_findings "$size"
done

# ---------------------------------------------------------------- table ----

RUN_SECONDS=$(awk -v a="$RUN_START" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
OTHER_CPU=$(awk -v m0="$MACHINE_TICKS_START" -v m1="$(machine_ticks)" \
  -v o0="$OWN_TICKS_START" -v o1="$(own_ticks)" -v hz="$CLK_TCK" \
  'BEGIN { v = ((m1 - m0) - (o1 - o0)) / hz; if (v < 0) v = 0; printf "%.0f", v }')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
IO_STALL=$(awk -v a="${IO_STALL_START:-0}" -v b="$(io_stall_us)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')

label() {
  case $1 in
    check) echo "kforge check (compile+validate, no writes)" ;;
    cold) echo "kforge render, cold (writes every file)" ;;
    noop) echo "kforge render, no-op (0 files written)" ;;
    validate) echo "kforge validate (emitted tree)" ;;
    diff) echo "kforge diff --base (both compiles, one app changed)" ;;
    kustomize) echo "kubectl kustomize (emitted tree)" ;;
    kv) echo "kubernetes-validate --strict (sample)" ;;
    kc) echo "kubeconform -strict (emitted tree)" ;;
    ftext) echo "kforge check, findings-heavy (text)" ;;
    fjson) echo "kforge check, findings-heavy (json)" ;;
    dtext) echo "kforge check, those rules off (text)" ;;
    djson) echo "kforge check, those rules off (json)" ;;
  esac
}

ratio() { # A B -> A/B with two decimals below 10, none above
  awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) { print "n/a"; exit } r = a / b; printf (r < 10 ? "%.2f" : "%.0f"), r }'
}

exact_ratio() { # A B -> A/B unrounded, for the verdicts
  awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) { print 0; exit } printf "%.9f", a / b }'
}

# The peer rows' comparison column.
compare() { # STEP SIZE
  local step=$1 size=$2
  case $step in
    kustomize)
      if [[ ${T_NOTE[kustomize:$size]:-} == stopped* ]]; then
        echo "kforge check >$(ratio "${T_WALL[kustomize:$size]}" "${T_WALL[check:$size]}")x, render cold >$(ratio "${T_WALL[kustomize:$size]}" "${T_WALL[cold:$size]}")x faster"
      else
        echo "kforge check $(ratio "${T_WALL[kustomize:$size]}" "${T_WALL[check:$size]}")x, render cold $(ratio "${T_WALL[kustomize:$size]}" "${T_WALL[cold:$size]}")x faster"
      fi
      ;;
    kv)
      echo "kforge validate $(ratio "$(rate validate "$size")" "${T_KV_RATE[$size]}")x faster per object"
      ;;
    kc)
      echo "kforge validate $(ratio "$(rate validate "$size")" "$(rate kc "$size")")x the objects/s; corpus accuracy vs the API server: kforge $ACC_KFORGE/$ACC_FILES, kubeconform $ACC_KC/$ACC_FILES"
      ;;
  esac
}

rate() { # STEP SIZE -> objects/s
  awk -v n="${T_OBJECTS[$1:$2]}" -v t="${T_WALL[$1:$2]}" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }'
}

thousands() { # N -> N with a comma every three digits
  echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'
}

for size in $FINDINGS_SIZES; do
  for format in text json; do
    T_NOTE[f$format:$size]="$(thousands "${T_FINDINGS[$size]}") warnings; $(ratio "${T_WALL[f$format:$size]}" "${T_WALL[d$format:$size]}")x the rules-disabled run"
    T_NOTE[d$format:$size]="0 warnings"
  done
done

# Rows as TSV: size, what, objects, wall, objects/s, RSS MiB, user, sys, comparison/note.
ROWS=$BENCH/rows.tsv
: >"$ROWS"
for key in "${STEPS[@]}"; do
  step=${key%%:*}
  size=${key#*:}
  note=${T_NOTE[$key]:-}
  cmp=$(compare "$step" "$size")
  if [[ -n $cmp && -n $note ]]; then note="$cmp; $note"; elif [[ -n $cmp ]]; then note=$cmp; fi
  printf '%s\t%s\t%s\t%.3f\t%s\t%d\t%.2f\t%.2f\t%s\n' "$size" "$(label "$step")" "${T_OBJECTS[$key]}" \
    "${T_WALL[$key]}" "$(rate "$step" "$size")" $((${T_RSS[$key]} / 1024)) "${T_USER[$key]}" \
    "${T_SYS[$key]}" "$note" >>"$ROWS"
done

# ------------------------------------------------------------- targets ----

VERDICTS=$BENCH/verdicts.txt
: >"$VERDICTS"
MET=0
UNMET=0
verdict() { # OK(0|1) TEXT
  local word=PASS
  if [[ $1 -eq 1 ]]; then MET=$((MET + 1)); else word=FAIL && UNMET=$((UNMET + 1)); fi
  printf '%s  %s\n' "$word" "$2" >>"$VERDICTS"
}
na() {
  printf 'n/a   %s\n' "$1" >>"$VERDICTS"
}
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }' && echo 1 || echo 0; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }' && echo 1 || echo 0; }
has() { [[ -n ${T_WALL[$1]:-} ]]; }

if [[ $SMOKE -eq 0 ]]; then
  for step in cold check; do
    what="kforge $([[ $step == cold ]] && echo "render, cold" || echo "check (no writes)")"
    if has "$step:10000"; then
      w=${T_WALL[$step:10000]}
      verdict "$(le "$w" 0.5)" "render+validate 10k <= 0.5 s: $what $(printf '%.3f' "$w") s"
    else
      na "render+validate 10k <= 0.5 s: size 10000 not run"
    fi
  done
  for step in cold check; do
    what="kforge $([[ $step == cold ]] && echo "render, cold" || echo "check (no writes)")"
    if has "$step:10000" && has "$step:50000"; then
      r=$(ratio "${T_WALL[$step:50000]}" "${T_WALL[$step:10000]}")
      verdict "$(le "$(exact_ratio "${T_WALL[$step:50000]}" "${T_WALL[$step:10000]}")" 5)" "50k <= 5x the 10k figure: $what $(printf '%.3f' "${T_WALL[$step:50000]}") s = ${r}x"
    else
      na "50k <= 5x the 10k figure: sizes 10000 and 50000 not both run"
    fi
  done
  for step in cold check; do
    what="kforge $([[ $step == cold ]] && echo "render, cold" || echo "check (no writes)")"
    if has "kustomize:6000" && [[ ${T_OBJECTS[kustomize:6000]} -gt 0 ]]; then
      r=$(ratio "${T_WALL[kustomize:6000]}" "${T_WALL[$step:6000]}")
      verdict "$(ge "$(exact_ratio "${T_WALL[kustomize:6000]}" "${T_WALL[$step:6000]}")" 100)" ">= 100x kubectl kustomize at 6k: kustomize $(printf '%.1f' "${T_WALL[kustomize:6000]}") s / $what $(printf '%.3f' "${T_WALL[$step:6000]}") s = ${r}x"
    elif has "kustomize:6000"; then
      r=$(ratio "${T_WALL[kustomize:6000]}" "${T_WALL[$step:6000]}")
      verdict "$(ge "$(exact_ratio "${T_WALL[kustomize:6000]}" "${T_WALL[$step:6000]}")" 100)" ">= 100x kubectl kustomize at 6k: kustomize stopped after ${KUSTOMIZE_TIMEOUT} s, so $what is > ${r}x"
    else
      na ">= 100x kubectl kustomize at 6k: kustomize not run at 6000"
    fi
  done
  if has "validate:10000"; then
    v=$(rate validate 10000)
    verdict "$(ge "$v" 20000)" "kforge validate >= 20,000 objects/s (10k): $v objects/s"
    r=$(ratio "$v" "${T_KV_RATE[10000]}")
    verdict "$(ge "$(exact_ratio "$v" "${T_KV_RATE[10000]}")" 100)" "kforge validate >= 100x kubernetes-validate --strict (10k): $v vs ${T_KV_RATE[10000]} objects/s (marginal) = ${r}x"
  else
    na "kforge validate targets: size 10000 not run"
  fi
  if has "validate:10000" && has "kc:10000"; then
    v=$(rate validate 10000)
    k=$(rate kc 10000)
    verdict "$(ge "$(exact_ratio "$v" "$k")" 3)" "kforge validate >= 3x kubeconform's objects/s (10k, one run each): $v vs $k objects/s = $(ratio "$v" "$k")x"
  else
    na "kforge validate >= 3x kubeconform: size 10000 not run"
  fi
  verdict "$(ge "$ACC_KFORGE" "$ACC_KC")" "kforge validate at least as accurate as kubeconform against the API server's verdicts on tests/corpus: $ACC_KFORGE vs $ACC_KC of $ACC_FILES files"
  if has "diff:10000"; then
    w=${T_WALL[diff:10000]}
    verdict "$(le "$w" 0.5)" "diff --base 10k, one changed app, both compiles <= 0.5 s: $(printf '%.3f' "$w") s"
  else
    na "diff --base 10k: size 10000 not run"
  fi
  if has "noop:10000"; then
    w=${T_WALL[noop:10000]}
    verdict "$(le "$w" 0.3)" "no-op re-render 10k writes 0 files and <= 0.3 s: $NOOP_WRITTEN files, $(printf '%.3f' "$w") s"
  else
    na "no-op re-render 10k: size 10000 not run"
  fi
  for format in text json; do
    for size in 10000 50000; do
      if has "f$format:$size" && has "d$format:$size"; then
        f=${T_WALL[f$format:$size]}
        d=${T_WALL[d$format:$size]}
        verdict "$(le "$(exact_ratio "$f" "$d")" 1.3)" "findings-heavy check <= 1.3x the same with those rules disabled ($((size / 1000))k, $format): $(printf '%.3f' "$f") s vs $(printf '%.3f' "$d") s = $(ratio "$f" "$d")x"
      else
        na "findings-heavy check <= 1.3x rules disabled ($((size / 1000))k, $format): size $size not run"
      fi
    done
    if has "f$format:10000" && has "f$format:50000"; then
      r=$(ratio "${T_WALL[f$format:50000]}" "${T_WALL[f$format:10000]}")
      verdict "$(le "$(exact_ratio "${T_WALL[f$format:50000]}" "${T_WALL[f$format:10000]}")" 5)" "50k <= 5x the 10k figure with findings: kforge check, findings-heavy ($format) $(printf '%.3f' "${T_WALL[f$format:50000]}") s = ${r}x"
    else
      na "50k <= 5x the 10k figure with findings ($format): findings sizes 10000 and 50000 not both run"
    fi
  done
  if has "cold:50000"; then
    max=0
    for step in check cold noop validate; do
      [[ ${T_RSS[$step:50000]} -gt $max ]] && max=${T_RSS[$step:50000]}
    done
    verdict "$(le "$max" $((1024 * 1024)))" "peak RSS at 50k <= 1 GiB: $((max / 1024)) MiB (highest of check, render, validate)"
  else
    na "peak RSS at 50k: size 50000 not run"
  fi
fi

# ------------------------------------------------------------- printing ----

machine() {
  local cpu mem fs mhz virt
  cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  fs="$(findmnt -no FSTYPE -T "$WORK" 2>/dev/null || stat -f -c %T "$WORK") ($(df -P "$WORK" | awk 'NR == 2 { print $1 " on " $6 }'))"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  mhz=$(sed -n 's/^cpu MHz[[:space:]]*: \([0-9]*\).*/\1/p' /proc/cpuinfo | head -n 1)
  virt=$(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor: *//p')
  echo "- CPU: ${cpu:-unknown}${mhz:+ at $mhz MHz}, $(nproc) cores available (nproc)${virt:+, a $virt virtual machine}"
  echo "- Memory: $mem"
  echo "- Kernel: $(uname -sr)"
  echo "- Repositories in: $WORK, file system $fs"
  if [[ -n ${KFORGE_BENCH_BIN:-} ]]; then
    echo "- kforge: the binary $KFORGE_BENCH_BIN (KFORGE_BENCH_BIN)"
  else
    echo "- kforge: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (uncommitted changes)'), $PROFILE build, $(rustc --version 2>/dev/null | cut -d' ' -f1-2)"
  fi
  echo "- Peers: $(kubectl version --client 2>/dev/null | tr '\n' ' ' | sed 's/ $//'); kubernetes-validate $("$PY" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || echo '?') --strict -k $K8S_VERSION; kubeconform $KUBECONFORM_VERSION -strict (kforge's schemas of $K8S_VERSION)"
  echo "- Run: $RUN_SECONDS s in all; kforge steps $REPS runs each (median wall, highest RSS), peers once"
  echo "- Load average (1, 5, 15 min) at start: $LOAD_START; at end: $LOAD_END"
  echo "- CPU time other processes used during the run: $OTHER_CPU s over $RUN_SECONDS s$(disturbance)"
  echo "- Time some task (this run's or another's) stalled on I/O: $IO_STALL s (/proc/pressure/io); writing files is what it slows"
}

disturbance() {
  awk -v o="$OTHER_CPU" -v t="$RUN_SECONDS" 'BEGIN {
    if (t > 0 && o / t > 0.1) printf " (%.0f%% of a core: timings may be inflated)", 100 * o / t
    else printf " (quiet)" }'
}

print_text() {
  printf '\n%-6s %-44s %8s %9s %10s %8s %7s %7s  %s\n' size step objects "wall s" "objects/s" "RSS MiB" "user s" "sys s" "kforge vs peer / note"
  while IFS=$'\t' read -r size what objects wall rate rss user sys note; do
    printf '%-6s %-44s %8s %9s %10s %8s %7s %7s  %s\n' "$size" "$what" "$objects" "$wall" "$rate" "$rss" "$user" "$sys" "$note"
  done <"$ROWS"
  if [[ -s $VERDICTS ]]; then
    echo
    cat "$VERDICTS"
    echo "targets: $MET met, $UNMET not met"
  fi
}

print_markdown() {
  echo "### Machine"
  echo
  machine
  echo
  echo "### Results"
  echo
  echo "| size | step | objects | wall s | objects/s | peak RSS MiB | user s | sys s | kforge vs peer / note |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---|"
  while IFS=$'\t' read -r size what objects wall rate rss user sys note; do
    echo "| $size | $what | $objects | $wall | $rate | $rss | $user | $sys | $note |"
  done <"$ROWS"
  if [[ -s $VERDICTS ]]; then
    echo
    echo "### Targets"
    echo
    sed 's/^\(PASS\|FAIL\|n\/a\) *\(.*\)$/- **\1** \2/' "$VERDICTS"
    echo
    echo "$MET met, $UNMET not met."
  fi
}

section "results"
machine
print_text
print_markdown >"$RESULTS"
echo
echo "markdown: ${RESULTS#"$ROOT"/}"

if [[ $WRITE_BENCHMARKS -eq 1 ]]; then
  doc=$ROOT/BENCHMARKS.md
  begin='<!-- bench.sh:begin -->'
  end='<!-- bench.sh:end -->'
  if ! grep -qxF "$begin" "$doc" || ! grep -qxF "$end" "$doc"; then
    die "BENCHMARKS.md lacks the lines $begin and $end"
  fi
  awk -v begin="$begin" -v end="$end" -v results="$RESULTS" '
    $0 == begin { print; while ((getline line < results) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$doc" >"$doc.new"
  mv "$doc.new" "$doc"
  echo "BENCHMARKS.md: generated part replaced"
fi

# The generated trees are deleted after the results are out (deleting
# 100,000s of files takes a while here); --keep leaves them for profiling.
if [[ $KEEP -eq 0 ]]; then
  rm -rf "$BENCH"/repo-* "$WORK"/repo-*
else
  echo "generated repositories kept in $WORK/repo-*"
fi
if [[ $SMOKE -eq 1 ]]; then
  echo "bench smoke: every step ran and gave sane output (no timing verdicts)"
fi
if [[ ${KFORGE_BENCH_STRICT:-0} == 1 && $UNMET -gt 0 ]]; then
  exit 1
fi

#!/bin/sh
# MPI tests on loopback. (1) distributed `craft eval` under 1, 2 and 4 ranks writes the same results
# as the single process (wall time aside). (2) `craft finetune` under 1, 2 and 4 ranks writes
# bit-identical final parameters to the single process (same seed, same global batch), on a tiny
# policy pre-trained here from a few expert records. (3) killing one rank mid-run stops the whole job
# within seconds, non-zero, naming the rank, with a complete checkpoint behind; `--resume` under a
# different number of ranks then reaches the uninterrupted run's parameters bit for bit. (4) `craft
# sweep` under 2 ranks (cells dealt round-robin) writes the same result files as the single process.
# Skipped, with a note, where mpirun is absent.
set -u
CRAFT=${CRAFT:-./build/craft}
if ! command -v mpirun >/dev/null 2>&1; then echo "mpi tests: skipped (no mpirun)"; exit 0; fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OPENBLAS_NUM_THREADS=1
fails=0
dir=$(mktemp -d /tmp/craft_mpi_XXXXXX)
fail() { echo "FAIL: $*"; fails=$((fails+1)); }

# ---- (1) eval ----
routes=eval220-010,eval220-016,eval220-017,eval220-111,eval220-112
$CRAFT eval --policy weak --routes $routes --threads 1 --quiet --out "$dir/single.json" >/dev/null || fails=$((fails+1))
grep -v wall_time_s "$dir/single.json" > "$dir/single.cmp"
for n in 1 2 4; do
    if ! mpirun -np $n $CRAFT eval --policy weak --routes $routes --threads 1 --quiet --out "$dir/np$n.json" >/dev/null 2>"$dir/err$n"; then
        fail "mpirun -np $n craft eval: $(cat "$dir/err$n")"; continue
    fi
    grep -v wall_time_s "$dir/np$n.json" > "$dir/np$n.cmp"
    if cmp -s "$dir/single.cmp" "$dir/np$n.cmp"; then echo "ok: eval under $n ranks equals the single process"
    else fail "eval under $n ranks differs"; fi
done

# ---- (2) finetune: N-independent parameters ----
pol="$dir/tiny.safetensors"
if ! $CRAFT collect --routes train:3 --no-bev --threads 1 --out "$dir/demos.ds" >/dev/null 2>&1 ||
   ! $CRAFT pretrain --policy vocab --data "$dir/demos.ds" --out "$pol" --epochs 1 --batch 16 --hidden 16 \
        --vocab-size 16 --kmeans-iters 2 --val-frac 0.34 >/dev/null 2>&1; then
    fail "could not pre-train the tiny policy"
fi
ft="finetune --policy $pol --method craft --seed 3 --threads 1 --quiet"
$CRAFT $ft --steps 5000 --out "$dir/ft_single" >/dev/null 2>&1 || fail "single-process finetune"
for n in 1 2 4; do
    if ! mpirun -np $n $CRAFT $ft --steps 5000 --out "$dir/ft_np$n" >/dev/null 2>"$dir/fterr$n"; then
        fail "mpirun -np $n craft finetune: $(cat "$dir/fterr$n")"; continue
    fi
    if cmp -s "$dir/ft_single/final.safetensors" "$dir/ft_np$n/final.safetensors"; then
        echo "ok: finetune under $n ranks gives bit-identical parameters"
    else fail "finetune under $n ranks: final.safetensors differs from the single process"; fi
done

# ---- (3) a killed rank stops the job; --resume under another N continues it exactly ----
steps=40000
$CRAFT $ft --steps $steps --out "$dir/ft_whole" >/dev/null 2>&1 || fail "uninterrupted finetune"
mpirun -np 2 $CRAFT $ft --steps $steps --out "$dir/ft_killed" >/dev/null 2>"$dir/killerr" &
mp=$!
i=0
while [ ! -f "$dir/ft_killed/LATEST" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
victim=""
for p in $(ps -o pid= --ppid $mp); do
    r=$(tr '\0' '\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^OMPI_COMM_WORLD_RANK=//p')
    [ "$r" = 1 ] && victim=$p
done
if [ -z "$victim" ]; then
    fail "no rank 1 to kill (the run ended before its first checkpoint was seen?)"; wait $mp
else
    kill -9 "$victim"
    t0=$(date +%s)
    wait $mp
    rc=$?
    t=$(( $(date +%s) - t0 ))
    if [ $rc -eq 0 ]; then fail "the job exited 0 after a rank was killed"
    elif [ $t -gt 10 ]; then fail "the job took ${t} s to stop after a rank was killed"
    elif ! grep -q "rank 1" "$dir/killerr"; then fail "the job's message does not name rank 1: $(cat "$dir/killerr")"
    elif [ -f "$dir/ft_killed/final.safetensors" ]; then fail "the run had finished before the kill: nothing was interrupted"
    else echo "ok: killing rank 1 stopped the job in ${t} s (exit $rc) naming the rank"; fi
    ck="$dir/ft_killed/$(cat "$dir/ft_killed/LATEST")"
    for f in state.json policy.safetensors teacher.safetensors adam_m.safetensors adam_v.safetensors; do
        [ -s "$ck/$f" ] || fail "checkpoint $ck lacks $f"
    done
    if mpirun -np 4 $CRAFT $ft --steps $steps --out "$dir/ft_killed" --resume >/dev/null 2>"$dir/reserr"; then
        if cmp -s "$dir/ft_whole/final.safetensors" "$dir/ft_killed/final.safetensors"; then
            echo "ok: resumed under 4 ranks, the killed 2-rank run reaches the uninterrupted parameters"
        else fail "resumed run differs from the uninterrupted one"; fi
    else fail "resume under 4 ranks: $(cat "$dir/reserr")"; fi
fi

# ---- (4) sweep: cells dealt over the ranks ----
for t in single np2; do
    cat > "$dir/plan_$t.json" <<EOF
{"families": ["vocab"], "methods": ["il", "craft", "cf"], "seeds": [1, 2], "set": {"steps": 600},
 "pretrained": {"vocab": "$pol"}, "eval_routes": "eval220-010,eval220-016", "runs_dir": "$dir/sw_$t/runs",
 "out_dir": "$dir/sw_$t/res", "threads": 1}
EOF
done
$CRAFT sweep "$dir/plan_single.json" --quiet >/dev/null 2>&1 || fail "single-process sweep"
if mpirun -np 2 $CRAFT sweep "$dir/plan_np2.json" --quiet >/dev/null 2>"$dir/swerr"; then
    same=0
    for f in "$dir"/sw_single/res/vocab/*.json; do
        g="$dir/sw_np2/res/vocab/$(basename "$f")"
        [ -f "$g" ] && grep -v wall_time_s "$f" | sed "s|sw_single|sw_X|g" > "$dir/a.cmp" &&
            grep -v wall_time_s "$g" | sed "s|sw_np2|sw_X|g" > "$dir/b.cmp" && cmp -s "$dir/a.cmp" "$dir/b.cmp" && same=$((same+1))
    done
    if [ $same -eq 6 ]; then echo "ok: sweep under 2 ranks writes the single process's 6 result files"
    else fail "sweep under 2 ranks: only $same of 6 result files equal the single process's"; fi
else fail "mpirun -np 2 craft sweep: $(cat "$dir/swerr")"; fi
rm -rf "$dir"
if [ $fails -ne 0 ]; then echo "mpi tests: $fails failed"; exit 1; fi
echo "mpi tests: all passed"

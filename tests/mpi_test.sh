#!/bin/sh
# MPI tests on loopback: distributed `craft eval` under 1, 2 and 4 ranks writes the same results as
# the single process (wall time aside). Skipped, with a note, where mpirun or MPI support is absent.
set -u
CRAFT=${CRAFT:-./build/craft}
if ! command -v mpirun >/dev/null 2>&1; then echo "mpi tests: skipped (no mpirun)"; exit 0; fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
fails=0
dir=$(mktemp -d /tmp/craft_mpi_XXXXXX)
routes=eval220-010,eval220-016,eval220-017,eval220-111,eval220-112
$CRAFT eval --policy weak --routes $routes --threads 1 --quiet --out "$dir/single.json" >/dev/null || fails=$((fails+1))
grep -v wall_time_s "$dir/single.json" > "$dir/single.cmp"
for n in 1 2 4; do
    if ! mpirun -np $n $CRAFT eval --policy weak --routes $routes --threads 1 --quiet --out "$dir/np$n.json" >/dev/null 2>"$dir/err$n"; then
        echo "FAIL: mpirun -np $n craft eval: $(cat "$dir/err$n")"; fails=$((fails+1)); continue
    fi
    grep -v wall_time_s "$dir/np$n.json" > "$dir/np$n.cmp"
    if cmp -s "$dir/single.cmp" "$dir/np$n.cmp"; then echo "ok: eval under $n ranks equals the single process"
    else echo "FAIL: eval under $n ranks differs"; fails=$((fails+1)); fi
done
rm -rf "$dir"
if [ $fails -ne 0 ]; then echo "mpi tests: $fails failed"; exit 1; fi
echo "mpi tests: all passed"

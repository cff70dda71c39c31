#!/bin/sh
# CLI contract tests: help works, bad input gives a one-line error and a non-zero exit, never a crash.
set -u
CRAFT=${CRAFT:-./build/craft}
fails=0
expect() { # expect <want-exit: 0|nonzero> <description> <command...>
    want=$1; desc=$2; shift 2
    out=$("$@" 2>&1); rc=$?
    if [ "$want" = 0 ] && [ $rc -ne 0 ]; then echo "FAIL: $desc (exit $rc): $out"; fails=$((fails+1)); return; fi
    if [ "$want" = nonzero ]; then
        if [ $rc -eq 0 ] || [ $rc -ge 128 ]; then echo "FAIL: $desc (exit $rc, want 1..127): $out"; fails=$((fails+1)); return; fi
        lines=$(printf '%s\n' "$out" | grep -c .)
        if [ "$lines" -gt 3 ]; then echo "FAIL: $desc: error is $lines lines, want a short message: $out"; fails=$((fails+1)); return; fi
    fi
    echo "ok: $desc"
}
expect 0 "craft --help" $CRAFT --help
"$CRAFT" >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then echo "ok: no command prints usage, exit 2"; else echo "FAIL: no command exit $rc"; fails=$((fails+1)); fi
expect nonzero "unknown command" $CRAFT frobnicate
expect 0 "sim --help" $CRAFT sim --help
expect 0 "bench --help" $CRAFT bench --help
expect nonzero "unknown bench" $CRAFT bench nothing
expect nonzero "unknown map" $CRAFT sim --map atlantis
expect nonzero "malformed steps" $CRAFT sim --steps 12abc
expect nonzero "unknown option" $CRAFT sim --frobnicate 3
expect nonzero "missing value" $CRAFT sim --steps
expect nonzero "bad map override" $CRAFT sim --map straight:lanes_fwd=banana
expect nonzero "negative agents" $CRAFT sim --agents -4
expect 0 "short sim" $CRAFT sim --steps 50 --map junction4_light
expect 0 "eval --help" $CRAFT eval --help
expect nonzero "eval unknown policy" $CRAFT eval --policy telepathy
expect nonzero "eval unknown rules" $CRAFT eval --rules fifa
expect nonzero "eval unknown route id" $CRAFT eval --routes eval220-999
expect nonzero "eval unknown scenario" $CRAFT eval --routes scenario:Atlantis
expect nonzero "eval missing route file" $CRAFT eval --routes /nonexistent/routes.json
expect nonzero "eval bad threads" $CRAFT eval --threads 0
expect nonzero "eval missing checkpoint" $CRAFT eval --policy /nonexistent/p.safetensors --routes eval220-010 --out /tmp/craft_cli_eval.json
tmp_routes=$(mktemp /tmp/craft_cli_XXXXXX.json)
printf '[{"type": "ParkedObstacle", "seed": 1, "params": {"bogus": 1}}]' > "$tmp_routes"
expect nonzero "eval unknown scenario parameter" $CRAFT eval --policy weak --routes "$tmp_routes" --out /tmp/craft_cli_eval.json
printf '[{"type": "ParkedObstacle", "seed": "x"}]' > "$tmp_routes"
expect nonzero "eval malformed route file" $CRAFT eval --routes "$tmp_routes"
rm -f "$tmp_routes"
expect 0 "eval weak on two routes" $CRAFT eval --policy weak --routes eval220-010,eval220-011 --out /tmp/craft_cli_eval.json
expect 0 "routes list" $CRAFT routes list scenario:ParkedObstacle
expect 0 "shipped route sets are canonical" $CRAFT routes check data/routes
expect nonzero "routes bad verb" $CRAFT routes frob x
expect 0 "render a route driven by the weak agent" $CRAFT render --route eval220-010 --policy weak --steps 30 --out /tmp/craft_cli_route.png
expect nonzero "render unknown route" $CRAFT render --route eval220-999 --out /tmp/craft_cli_route.png
expect nonzero "render bad policy" $CRAFT render --route eval220-010 --policy nobody --out /tmp/craft_cli_route.png
expect nonzero "render catalogue needs a png" $CRAFT render --catalogue --out /tmp/craft_cli_cat.gif
expect 0 "collect --help" $CRAFT collect --help
expect nonzero "collect refuses eval220" $CRAFT collect --routes eval220-010 --out /tmp/craft_cli.ds
expect 0 "pretrain --help" $CRAFT pretrain --help
expect nonzero "pretrain unknown family" $CRAFT pretrain --policy gpt --data /tmp/craft_cli.ds
expect nonzero "pretrain missing dataset" $CRAFT pretrain --data /nonexistent.ds --out /tmp/craft_cli.safetensors
# craft render / craft plot
rtmp=$(mktemp -d)
expect 0 "render --help" $CRAFT render --help
expect 0 "plot --help" $CRAFT plot --help
expect nonzero "render without output" $CRAFT render --steps 5
expect nonzero "render unknown extension" $CRAFT render --out "$rtmp/x.txt"
expect nonzero "render zero size" $CRAFT render --size 0 --out "$rtmp/x.png"
expect nonzero "render malformed size" $CRAFT render --size 64xabc --out "$rtmp/x.png"
expect nonzero "render every 0" $CRAFT render --every 0 --out "$rtmp/x.gif"
expect nonzero "render negative steps" $CRAFT render --steps -3 --out "$rtmp/x.gif"
expect nonzero "render unknown map" $CRAFT render --map atlantis --out "$rtmp/x.png"
expect nonzero "render unwritable output" $CRAFT render --steps 2 --out /nonexistent-dir/x.gif
expect nonzero "render missing frames dir" $CRAFT render --steps 2 --frames /nonexistent-dir
expect 0 "short render gif" $CRAFT render --steps 6 --size 64 --out "$rtmp/r.gif"
expect 0 "short render frames" $CRAFT render --steps 4 --size 64 --every 2 --frames "$rtmp"
if [ -s "$rtmp/frame_00002.png" ] && [ ! -e "$rtmp/frame_00003.png" ]; then echo "ok: render --frames wrote frames 0..2"; else echo "FAIL: render --frames files"; fails=$((fails+1)); fi
printf '{"iter":0,"loss":1}\n{"iter":1,"loss":0.5}\n' > "$rtmp/log.jsonl"
expect 0 "plot a log" $CRAFT plot "$rtmp/log.jsonl" --x iter --y loss --out "$rtmp/p.png"
expect nonzero "plot missing --y" $CRAFT plot "$rtmp/log.jsonl" --x iter --out "$rtmp/p.png"
expect nonzero "plot missing log" $CRAFT plot "$rtmp/none.jsonl" --x iter --y loss --out "$rtmp/p.png"
expect nonzero "plot unknown x key" $CRAFT plot "$rtmp/log.jsonl" --x step --y loss --out "$rtmp/p.png"
expect nonzero "plot tiny size" $CRAFT plot "$rtmp/log.jsonl" --x iter --y loss --width 5 --out "$rtmp/p.png"
rm -rf "$rtmp"
[ -n "${CLI_TESTS_EXTRA:-}" ] && . "$CLI_TESTS_EXTRA"
if [ $fails -ne 0 ]; then echo "cli tests: $fails failed"; exit 1; fi
echo "cli tests: all passed"

#!/usr/bin/python3
"""Generates tests/data/comfort_vectors.txt: per-route comfort values computed in Python/scipy
the way Bench2Drive's tools/efficiency_smoothness_benchmark.py does (written independently from
the description in shared/spec/SCENARIOS.md A5), for tests/test_b2d_metrics.c to compare
comfort_route() against, in both variants:
  b2d: yaw rate converted to deg/s, phase-unwrapped, "yaw acceleration" = smoothed yaw rate;
  si:  yaw rate in rad/s, yaw acceleration = SG derivative of the smoothed yaw rate.
Run once from the repository root:
    /usr/bin/python3 tests/data/gen_comfort.py > tests/data/comfort_vectors.txt
Format per case: `case <n> <comfort_b2d> <comfort_si>`, then lines `lon`, `lat`, `yaw` (rad/s)
with n float32-representable values each."""
import numpy as np
from scipy.signal import savgol_filter

LON = (-4.05, 2.40)
LAT, JERK, LON_JERK, YAW_ACC, YAW_RATE = 4.89, 8.37, 4.13, 1.93, 0.95
CHUNK, WINDOW, ORDER, DT = 20, 7, 2, 0.1


def unwrap(h):
    adj = np.zeros_like(h)
    adj[1:] = np.cumsum(np.round(np.diff(h) / (2 * np.pi)))
    return h - 2 * np.pi * adj


def inside(x, lo, hi):
    return bool(np.all((x > lo) & (x < hi)))


def window_ok(lon, lat, yaw, si):
    w = min(WINDOW, len(lon))
    yaw = yaw if si else unwrap(np.degrees(yaw))
    smooth = lambda x: savgol_filter(x, w, ORDER)
    deriv = lambda x: savgol_filter(x, w, ORDER, deriv=1, delta=DT)
    lon_s, lat_s, mag_s, yaw_s = smooth(lon), smooth(lat), smooth(np.hypot(lon, lat)), smooth(yaw)
    yaw_acc = deriv(yaw_s) if si else yaw_s
    return (inside(lon_s, *LON) and inside(lat_s, -LAT, LAT) and inside(deriv(mag_s), -JERK, JERK)
            and inside(deriv(lon_s), -LON_JERK, LON_JERK) and inside(yaw_acc, -YAW_ACC, YAW_ACC)
            and inside(yaw_s, -YAW_RATE, YAW_RATE))


def route(lon, lat, yaw, si):
    n = len(lon)
    if n <= CHUNK:
        return 1.0 if window_ok(lon, lat, yaw, si) else 0.0
    oks = [window_ok(lon[i:i + CHUNK], lat[i:i + CHUNK], yaw[i:i + CHUNK], si) for i in range(0, n - CHUNK + 1, CHUNK)]
    return sum(oks) / len(oks)


rng = np.random.default_rng(5)
print("# comfort per route: case n b2d si / lon / lat / yaw")
for case in range(30):
    n = int(rng.integers(3, 130))
    f32 = lambda x: x.astype(np.float32).astype(float)
    lon = f32(rng.normal(0, 0.35, n))
    lat = f32(rng.normal(0, 0.5, n))
    yaw = f32(rng.normal(0, 0.01 if case % 2 else 0.3, n))
    print(f"case {n} {route(lon, lat, yaw, False)!r} {route(lon, lat, yaw, True)!r}")
    for name, v in (("lon", lon), ("lat", lat), ("yaw", yaw)):
        print(name + " " + " ".join(f"{x:.9g}" for x in v))

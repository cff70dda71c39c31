#!/usr/bin/python3
"""Generates tests/data/savgol_vectors.txt: reference outputs of scipy.signal.savgol_filter
(mode='interp') that tests/test_savgol.c compares craft's C filter against.

Run once from the repository root with Debian's python3-scipy (1.10):
    /usr/bin/python3 tests/data/gen_savgol.py > tests/data/savgol_vectors.txt
Format: one case per block; `case <name> <n> <window> <order> <deriv> <delta>`, then a line
`x` with n inputs and a line `y` with n outputs, all printed with 17 significant digits."""
import numpy as np
import scipy
from scipy.signal import savgol_filter

rng = np.random.default_rng(20240601)


def signal(n, kind):
    t = np.arange(n) * 0.1
    if kind == "noise":
        return rng.normal(0.0, 1.0, n)
    if kind == "smooth":  # accelerations of a braking / turning car, plus sensor noise
        return 1.5 * np.sin(0.8 * t) - 0.3 * t + rng.normal(0.0, 0.05, n)
    if kind == "step":    # a hard jerk: acceleration jumps from 0 to -6 m/s^2
        x = np.zeros(n)
        x[n // 2:] = -6.0
        return x
    raise ValueError(kind)


CASES = [
    # (name, n, window, order, deriv, delta, kind): the comfort metric's settings first
    ("b2d_smooth", 40, 7, 2, 0, 0.1, "smooth"),
    ("b2d_deriv", 40, 7, 2, 1, 0.1, "smooth"),
    ("b2d_noise", 20, 7, 2, 0, 0.1, "noise"),
    ("b2d_noise_deriv", 20, 7, 2, 1, 0.1, "noise"),
    ("b2d_step_deriv", 20, 7, 2, 1, 0.1, "step"),
    ("window_eq_n", 7, 7, 2, 0, 0.1, "noise"),
    ("window_eq_n_deriv", 7, 7, 2, 1, 0.1, "noise"),
    ("short3", 3, 3, 2, 0, 0.1, "noise"),
    ("short5_deriv", 5, 5, 2, 1, 0.1, "noise"),
    ("even4", 4, 4, 2, 0, 0.1, "noise"),
    ("even6_deriv", 6, 6, 2, 1, 0.1, "noise"),
    ("even8_interior", 30, 8, 2, 0, 0.1, "noise"),
    ("even8_deriv", 30, 8, 3, 1, 0.5, "smooth"),
    ("order3_deriv2", 25, 9, 3, 2, 0.1, "smooth"),
    ("order0_mean", 15, 5, 0, 0, 1.0, "noise"),
    ("deriv_gt_order", 12, 5, 1, 2, 0.1, "noise"),
    ("wide21", 60, 21, 4, 1, 0.05, "smooth"),
]

print(f"# scipy {scipy.__version__} savgol_filter(x, window, order, deriv=deriv, delta=delta, mode='interp')")
for name, n, window, order, deriv, delta, kind in CASES:
    x = signal(n, kind)
    y = savgol_filter(x, window, order, deriv=deriv, delta=delta, mode="interp")
    print(f"case {name} {n} {window} {order} {deriv} {delta!r}")
    print("x " + " ".join(f"{v:.17g}" for v in x))
    print("y " + " ".join(f"{v:.17g}" for v in y))

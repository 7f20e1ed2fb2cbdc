"""Least-squares calibration of MBU, MFU and a fixed step overhead against measured decode steps.

The model of a measured step is the roofline step with efficiency factors:

    step = Σ_memory-bound kernels bytes / (BW × MBU) + Σ_compute-bound kernels FLOPs / (F × MFU)
           + communication + overhead

which is linear in `1/MBU`, `1/MFU` and `overhead` once each kernel's bound is fixed
(see `fit`). A factor that no point constrains (MFU when every point is
memory-bound) keeps its starting value of 1 and is reported as not identifiable.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from roofcalc import model as roofline
from roofcalc.errors import RoofcalcError
from roofcalc.scenario import Scenario


class MeasuredStep(NamedTuple):
    batch: int
    context_tokens: int | None  # None: the scenario's context
    step_latency_s: float  # time per output token of one sequence (TPOT)


class Calibration(NamedTuple):
    mbu: float
    mfu: float
    step_overhead_s: float
    identifiable: dict[str, bool]
    predicted_s: list[float]
    residuals_s: list[float]  # measured − predicted
    notes: list[str]


def parse_measured(text: str, default_context: int) -> MeasuredStep:
    """Parse `batch=1,tpot=18.6ms[,context=4096]` (tpot in s or ms, or tokens_per_s=53.8)."""
    from roofcalc.units import parse_number, parse_seconds, parse_tokens

    fields = {}
    for part in text.split(","):
        key, separator, value = part.partition("=")
        if not separator:
            raise RoofcalcError(f"invalid measurement {text!r}: {part!r} is not KEY=VALUE", hint="write it like batch=1,tpot=18.6ms")
        fields[key.strip().lower()] = value.strip()
    unknown = set(fields) - {"batch", "tpot", "tokens_per_s", "context"}
    if unknown:
        raise RoofcalcError(f"invalid measurement {text!r}: unknown field {sorted(unknown)[0]!r}",
                            hint="use batch, context and tpot or tokens_per_s")
    if "batch" not in fields or ("tpot" in fields) == ("tokens_per_s" in fields):
        raise RoofcalcError(f"invalid measurement {text!r}: give batch and one of tpot or tokens_per_s",
                            hint="write it like batch=1,tpot=18.6ms")
    batch = parse_number(fields["batch"], what="batch")
    if batch != int(batch):
        raise RoofcalcError(f"invalid measurement {text!r}: batch must be a whole number")
    context = parse_tokens(fields["context"], what="context") if "context" in fields else default_context
    if "tpot" in fields:
        step = parse_seconds(fields["tpot"], what="tpot", allow_zero=False)
    else:
        step = 1.0 / parse_number(fields["tokens_per_s"], what="tokens_per_s")
    return MeasuredStep(int(batch), context, step)


def _parts(scenario: Scenario, point: MeasuredStep):
    """Return ideal kernel memory and compute times and the communication time of a point."""
    ideal = scenario.system._replace(mbu=1.0, mfu=1.0, step_overhead_s=0.0, layer_overhead_s=0.0)
    step = roofline.decode_step(scenario.workload, ideal, point.batch, point.context_tokens)
    if step.compute_time_s is None:
        raise RoofcalcError(scenario.null_reasons["compute"])
    kernels = [(float(kernel.memory_time_s), float(kernel.compute_time_s)) for kernel in (step.linear, step.attention)]
    return kernels, float(step.communication_time_s)


def fit(scenario: Scenario, points: list[MeasuredStep], fit_overhead: bool = True) -> Calibration:
    """Fit MBU, MFU and the step overhead to `points` by least squares.

    A kernel is memory-bound when `memory time / MBU ≥ compute time / MFU`, that is when
    the ratio `MFU / MBU` is at least its compute-to-memory time ratio. Sorting those
    ratios splits the possible values of `MFU / MBU` into intervals in which every
    kernel's bound is fixed and the model is linear in `1/MBU`, `1/MFU` and the
    overhead. Each interval gets its own linear least-squares solution; the best
    solution whose ratio falls inside its interval is the global optimum.
    """
    if not points:
        raise RoofcalcError("no measurements given", hint="pass --measured batch=1,tpot=18.6ms")
    parts = [_parts(scenario, point) for point in points]
    measured = np.array([point.step_latency_s for point in points])
    communication = np.array([comm for _, comm in parts])
    thresholds = sorted({comp / mem for kernels, _ in parts for mem, comp in kernels if mem > 0})
    # One probe ratio inside each interval between thresholds, and beyond both ends.
    edges = [0.0, *thresholds, math.inf]
    probes = []
    for low, high in zip(edges, edges[1:]):
        probes.append((low, high, low * 2 + 1e-9 if math.isinf(high) else (low + high) / 2))

    notes: list[str] = []
    best = None
    tried_overhead = False
    for with_overhead in ([True, False] if fit_overhead else [False]):
        for low, high, ratio in probes:
            # With u = 1/MBU and v = 1/MFU a kernel is memory-bound when mem × u ≥ comp × v,
            # that is when comp / mem ≤ u / v, and `ratio` stands for u / v in this interval.
            memory_part = np.array([sum(mem for mem, comp in kernels if comp <= ratio * mem) for kernels, _ in parts])
            compute_part = np.array([sum(comp for mem, comp in kernels if comp > ratio * mem) for kernels, _ in parts])
            columns, names = [], []
            for name, column in (("mbu", memory_part), ("mfu", compute_part)):
                if np.any(column > 0):
                    columns.append(column)
                    names.append(name)
            if with_overhead and len(points) > len(names):
                columns.append(np.ones(len(points)))
                names.append("step_overhead_s")
                tried_overhead = True
            if not columns:
                continue
            solution, *_ = np.linalg.lstsq(np.array(columns).T, measured - communication, rcond=None)
            values = dict(zip(names, solution))
            inverse_mbu = values.get("mbu", 1.0)
            inverse_mfu = values.get("mfu", 1.0)
            overhead = values.get("step_overhead_s", 0.0)
            if inverse_mbu <= 0 or inverse_mfu <= 0 or overhead < 0:
                continue
            # The interval is consistent when u/v lies within it (with a unit factor left unfitted).
            actual = inverse_mbu / inverse_mfu
            if not ("mbu" in names and "mfu" in names) or low - 1e-12 <= actual <= high + 1e-12:
                predicted = np.array([sum(max(mem * inverse_mbu, comp * inverse_mfu) for mem, comp in kernels)
                                      for kernels, _ in parts]) + communication + overhead
                error = float(np.sum((measured - predicted) ** 2))
                # Among fits that explain the points equally well (one batch-1 point fits
                # a slow memory or an absurdly slow compute alike), keep the one whose
                # worse efficiency is highest: the least inefficiency that explains them.
                efficiency = min(1.0 / inverse_mbu, 1.0 / inverse_mfu)
                tie = best is not None and abs(error - best[0]) <= 1e-9 * max(best[0], float(np.sum(measured ** 2)))
                if best is None or (error < best[0] and not tie) or (tie and efficiency > best[6]):
                    best = (error, inverse_mbu, inverse_mfu, overhead, names, predicted, efficiency)
        if best is not None and with_overhead and "step_overhead_s" in best[4]:
            break
        if with_overhead and tried_overhead:
            notes.append("no fit with a non-negative overhead exists, so the overhead is fixed at 0")
    if best is None:
        raise RoofcalcError("the measurements cannot be fitted with positive efficiencies",
                            hint="check that the model, accelerator and count match the measured system")
    _, inverse_mbu, inverse_mfu, overhead, names, predicted, _ = best
    identifiable = {name: name in names for name in ("mbu", "mfu", "step_overhead_s")}
    mbu, mfu = float(1.0 / inverse_mbu), float(1.0 / inverse_mfu)
    if mbu > 1 or mfu > 1:
        name, value = ("MBU", mbu) if mbu > 1 else ("MFU", mfu)
        raise RoofcalcError(
            f"the fit gives {name} {value:.3g}, above 1: the measurements are faster than the roofline allows",
            hint="check that the model, accelerator, count, context and units (tpot in ms or s) match the measured system",
        )
    for name, known in identifiable.items():
        if not known:
            notes.append(f"{name} is not identifiable from these points and keeps its starting value")
    residuals = [float(value) for value in measured - predicted]
    return Calibration(mbu, mfu, float(overhead), identifiable, [float(value) for value in predicted], residuals, notes)


def profile_directory() -> str:
    """Return `$XDG_CONFIG_HOME/roofcalc/profiles`, with `~/.config` when the variable is unset."""
    import os

    from roofcalc.catalog import user_directory

    return os.path.join(os.path.dirname(user_directory("models")), "profiles")


def save_profile(name: str, scenario: Scenario, result: Calibration, points: int, replace: bool = False) -> str:
    """Write the fit as `profiles/NAME.toml` and return its path."""
    import datetime
    import os
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
        raise RoofcalcError(f"invalid profile name {name!r}", hint="use letters, digits, '.', '_' and '-'")
    directory = profile_directory()
    path = os.path.join(directory, f"{name}.toml")
    if os.path.exists(path) and not replace:
        raise RoofcalcError(f"profile {name!r} already exists at {path}", hint="pass --force to replace it, or choose another name")
    inputs = scenario.inputs
    lines = [
        f"# Fitted by roofcalc calibrate on {datetime.date.today().isoformat()} from {points} measured point(s).",
        f"mbu = {result.mbu!r}",
        f"mfu = {result.mfu!r}",
        f"step_overhead_s = {result.step_overhead_s!r}",
        f'model = "{inputs["model"]["value"] or ""}"',
        f'hardware = "{inputs["hardware"]["value"] or ""}"',
        f"num_accelerators = {scenario.system.num_accelerators}",
    ]
    try:
        os.makedirs(directory, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write("\n".join(lines) + "\n")
    except OSError as error:
        raise RoofcalcError(f"cannot write {path}: {error.strerror}", hint="check the folder's permissions or set XDG_CONFIG_HOME") from None
    return path


def load_profile(name: str) -> dict:
    """Read `profiles/NAME.toml` and return its mbu, mfu and step_overhead_s."""
    import os

    from roofcalc.catalog import read_toml

    path = os.path.join(profile_directory(), f"{name}.toml")
    if not os.path.isfile(path):
        raise RoofcalcError(f"unknown profile {name!r}: {path} does not exist",
                            hint="create it with roofcalc calibrate --save-profile NAME")
    data = read_toml(path)
    profile = {}
    for key in ("mbu", "mfu", "step_overhead_s"):
        value = data.get(key)
        number = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
        if key == "step_overhead_s" and not (number and value >= 0):
            raise RoofcalcError(f"{path}: key {key!r} must be zero or a positive number of seconds, found {value!r}",
                                hint="fit the profile again")
        if key != "step_overhead_s" and not (number and 0 < value <= 1):
            raise RoofcalcError(f"{path}: key {key!r} must be above 0 and at most 1, found {value!r}", hint="fit the profile again")
        profile[key] = float(value)
    return profile

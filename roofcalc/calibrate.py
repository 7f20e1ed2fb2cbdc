"""Least-squares calibration of MBU, MFU and a fixed step overhead against measured decode steps.

The model of a measured step is the roofline step with efficiency factors:

    step = Σ_memory-bound kernels bytes / (BW × MBU) + Σ_compute-bound kernels FLOPs / (F × MFU)
           + communication + overhead

which is linear in `1/MBU`, `1/MFU` and `overhead` once each kernel's bound is fixed.
The fit alternates between fixing the bounds at the current factors and solving that
linear least-squares problem, until the bounds stop changing. A factor that no point
constrains (MFU when every point is memory-bound) keeps its starting value and is
reported as not identifiable.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from roofcalc import model as roofline
from roofcalc.errors import RoofcalcError
from roofcalc.scenario import Scenario


class MeasuredStep(NamedTuple):
    batch: int
    context_tokens: int
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
    from roofcalc.units import parse_number, parse_tokens

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
        value = fields["tpot"].lower()
        if value.endswith("ms"):
            step = parse_number(value[:-2], what="tpot") / 1e3
        else:
            step = parse_number(value[:-1] if value.endswith("s") else value, what="tpot")
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
    """Fit MBU, MFU and the step overhead to `points` by least squares (see the module docstring)."""
    if not points:
        raise RoofcalcError("no measurements given", hint="pass --measured batch=1,tpot=18.6ms")
    parts = [_parts(scenario, point) for point in points]
    measured = np.array([point.step_latency_s for point in points])
    inverse_mbu, inverse_mfu, overhead = 1.0, 1.0, 0.0
    notes: list[str] = []
    identifiable = {"mbu": False, "mfu": False, "step_overhead_s": False}
    for _ in range(50):
        columns = {"mbu": [], "mfu": []}
        communication = []
        for kernels, comm in parts:
            memory_part = sum(mem for mem, comp in kernels if mem * inverse_mbu >= comp * inverse_mfu)
            compute_part = sum(comp for mem, comp in kernels if mem * inverse_mbu < comp * inverse_mfu)
            columns["mbu"].append(memory_part)
            columns["mfu"].append(compute_part)
            communication.append(comm)
        names = [name for name in ("mbu", "mfu") if any(value > 0 for value in columns[name])]
        matrix = [columns[name] for name in names]
        if fit_overhead and len(points) > len(names):
            names.append("step_overhead_s")
            matrix.append([1.0] * len(points))
        target = measured - np.array(communication)
        fixed = {"mbu": inverse_mbu, "mfu": inverse_mfu, "step_overhead_s": overhead}
        for name in ("mbu", "mfu"):
            if name not in names:
                target = target - np.array(columns[name]) * fixed[name]
        solution, *_ = np.linalg.lstsq(np.array(matrix).T, target, rcond=None)
        values = dict(zip(names, solution))
        if values.get("step_overhead_s", 0.0) < 0:
            notes.append("the best overhead came out negative, so it was fixed at 0 and MBU and MFU refitted")
            fit_overhead = False
            continue
        new_mbu = values.get("mbu", inverse_mbu)
        new_mfu = values.get("mfu", inverse_mfu)
        new_overhead = values.get("step_overhead_s", overhead if not fit_overhead else 0.0)
        converged = abs(new_mbu - inverse_mbu) < 1e-12 and abs(new_mfu - inverse_mfu) < 1e-12
        inverse_mbu, inverse_mfu, overhead = new_mbu, new_mfu, new_overhead
        identifiable = {name: name in names for name in identifiable}
        if converged:
            break
    if inverse_mbu <= 0 or inverse_mfu <= 0:
        raise RoofcalcError("the measurements cannot be fitted with positive efficiencies",
                            hint="check that the model, accelerator and count match the measured system")
    mbu, mfu = 1.0 / inverse_mbu, 1.0 / inverse_mfu
    if mbu > 1 or mfu > 1:
        notes.append("a fitted efficiency exceeds 1: the measurements beat the roofline, so a spec or the model is wrong")
    for name, known in identifiable.items():
        if not known:
            notes.append(f"{name} is not identifiable from these points and keeps its starting value")
    predicted = []
    for (kernels, comm) in parts:
        time = sum(max(mem * inverse_mbu, comp * inverse_mfu) for mem, comp in kernels) + comm + overhead
        predicted.append(time)
    residuals = [float(m - p) for m, p in zip(measured, predicted)]
    return Calibration(mbu, mfu, float(overhead), identifiable, predicted, residuals, notes)

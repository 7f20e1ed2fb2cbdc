"""The grid views: sweeps over batch or context, tiers, steady state under load, inverse queries.

Everything here evaluates whole arrays of points with `report.evaluate_points`, one
numpy call per view, and returns plain data; the command line renders it.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from roofcalc import model as roofline
from roofcalc import report
from roofcalc.errors import DoesNotFitError, InvalidQuantity, RoofcalcError
from roofcalc.scenario import Scenario

ROW_STATIC_KEYS = ("weight_bytes", "kv_cache_bytes_per_token_unwindowed", "crossover_batch", "memory_usable_bytes")
ROW_KEYS = ("marker",) + report.POINT_KEYS + ROW_STATIC_KEYS


def doubling_batches(max_batch: int) -> np.ndarray:
    """Return 1, 2, 4, … up to `max_batch`."""
    if max_batch < 1:
        return np.array([], dtype=float)
    return 2.0 ** np.arange(int(math.log2(max_batch)) + 1)


def default_batches(scenario: Scenario) -> tuple[np.ndarray, dict[int, str]]:
    """Return the default sweep batches and their markers.

    Powers of two up to the max batch, plus the crossover batch (rounded down) when it
    fits and the max batch itself.
    """
    static = report.static_results(scenario)
    max_batch = int(report.evaluate_points(scenario, 1)["max_batch"]) if scenario.memory_known else 1024
    markers: dict[int, str] = {}
    batches = set(doubling_batches(max_batch).astype(int).tolist())
    crossover = static["crossover_batch"]
    if crossover is not None and 1 <= crossover <= max_batch:
        markers[int(crossover)] = "crossover"
        batches.add(int(crossover))
    if scenario.memory_known and max_batch >= 1:
        markers[max_batch] = "max batch" if max_batch not in markers else "crossover, max batch"
        batches.add(max_batch)
    return np.array(sorted(batches), dtype=float), markers


def rows_from_points(scenario: Scenario, points: dict, markers: dict[int, str] | None = None) -> list[dict]:
    """Turn arrays of points into one flat dict per point, with the keys of ROW_KEYS."""
    static = report.static_results(scenario)
    size = np.broadcast(*(value for value in points.values() if value is not None)).size
    arrays = {key: None if value is None else np.broadcast_to(value, (size,)) for key, value in points.items()}
    markers = markers or {}
    rows = []
    for index in range(size):
        row = {"marker": None}
        for key in report.POINT_KEYS:
            values = arrays[key]
            row[key] = None if values is None else report.scalar(values[index])
        row["batch"] = int(row["batch"])
        row["context_tokens"] = int(row["context_tokens"])
        row["kv_cache_context_tokens"] = int(row["kv_cache_context_tokens"])
        if row["max_batch"] is not None:
            row["max_batch"] = int(row["max_batch"])
            if row["batch"] > row["max_batch"]:
                row["marker"] = "over memory"
        row["marker"] = markers.get(row["batch"], row["marker"])
        for key in ROW_STATIC_KEYS:
            row[key] = static[key]
        rows.append(row)
    return rows


def sweep(scenario: Scenario, batches=None, contexts=None) -> tuple[list[dict], list[str]]:
    """Evaluate a sweep over batches, contexts or both (their grid); return rows and warnings."""
    warnings = []
    markers = None
    if scenario.memory_known and int(report.evaluate_points(scenario, 1)["max_batch"]) < 1 and contexts is None:
        raise RoofcalcError("not even one sequence fits beside the weights", hint="use more --gpus or a shorter --context")
    model = scenario.request.model
    if contexts is not None and model is not None and model.max_context_tokens and max(contexts) > model.max_context_tokens:
        warnings.append(f"contexts above {model.id}'s maximum of {model.max_context_tokens:,} tokens are included")
    if batches is None and contexts is None:
        batch_values, markers = default_batches(scenario)
        static = report.static_results(scenario)
        crossover = static["crossover_batch"]
        if crossover is not None and scenario.memory_known and crossover > batch_values.max(initial=0):
            warnings.append(
                f"the crossover batch {crossover:,.0f} exceeds the max batch that fits, so this group "
                "stays memory-bound at every batch it can hold"
            )
        context_values = np.asarray(scenario.request.context_tokens, dtype=float)
    else:
        batch_values = np.asarray(batches if batches is not None else [scenario.request.batch], dtype=float)
        context_values = np.asarray(contexts if contexts is not None else [scenario.request.context_tokens], dtype=float)
    batch_grid, context_grid = np.meshgrid(batch_values, context_values, indexing="ij")
    points = report.evaluate_points(scenario, batch_grid.ravel(), context_grid.ravel())
    rows = rows_from_points(scenario, points, markers)
    over = [row["batch"] for row in rows if row["marker"] == "over memory"]
    if over:
        warnings.append(f"{len(over)} row(s) exceed the max batch that fits in memory (marked 'over memory')")
    return rows, warnings


class Boundary(NamedTuple):
    """The largest batch that meets a latency target, or why none does."""

    batch: int | None
    binding: str  # "target", "capacity" or "bandwidth floor"
    message: str


def largest_batch_meeting(scenario: Scenario, max_step_latency_s: float) -> Boundary:
    """Return the largest batch whose step latency is at most `max_step_latency_s`.

    Step latency never falls as the batch grows, so the batches that meet the target
    are 1 … B*, and B* + 1 breaks it. All batches up to the max batch are evaluated in
    one array. When batch 1 misses the target the memory-bandwidth floor binds: the
    weights alone take longer than the target to read.
    """
    if not scenario.memory_known:
        raise RoofcalcError("an inverse query needs the memory capacity", hint="pass --memory such as 80GB")
    max_batch = int(report.evaluate_points(scenario, 1)["max_batch"])
    if max_batch < 1:
        raise RoofcalcError("not even one sequence fits beside the weights", hint="use more --gpus or a shorter --context")
    batches = np.arange(1, max_batch + 1, dtype=float)
    steps = report.evaluate_points(scenario, batches)["step_latency_s"]
    if steps is None:
        raise RoofcalcError(scenario.null_reasons["compute"])
    meeting = np.nonzero(steps <= max_step_latency_s * (1 + 1e-12))[0]
    if meeting.size == 0:
        floor = float(steps[0])
        return Boundary(
            None, "bandwidth floor",
            f"even batch 1 takes {floor * 1e3:.3g} ms per step, {floor / max_step_latency_s:.2f}× the target of "
            f"{max_step_latency_s * 1e3:.3g} ms: reading the weights bounds it, so more bandwidth "
            "(more or faster accelerators, smaller weights) is needed",
        )
    best = int(batches[meeting[-1]])
    if best == max_batch:
        return Boundary(best, "capacity", f"the max batch of {max_batch} that fits in memory meets the target, so capacity binds")
    return Boundary(best, "target", f"batch {best + 1} would take {float(steps[best]) * 1e3:.4g} ms per step, over the target")


def step_latency_target(min_tokens_per_s_per_user: float | None, max_step_latency_s: float | None) -> float:
    """Return the step latency a per-user speed or a latency target allows, the stricter of the two."""
    limits = []
    if min_tokens_per_s_per_user is not None:
        limits.append(1.0 / min_tokens_per_s_per_user)
    if max_step_latency_s is not None:
        limits.append(max_step_latency_s)
    return min(limits)


class TierSpec(NamedTuple):
    name: str
    kind: str  # "batch", "crossover", "max", "speed"
    value: float | None


def parse_tier(text: str) -> TierSpec:
    """Parse `NAME=SPEC`, where SPEC is `batch:N`, `batch:max`, `batch:crossover` or `150tok/s`."""
    name, separator, spec = text.partition("=")
    name, spec = name.strip(), spec.strip().lower()
    hint = "write it like fast=150tok/s, standard=batch:crossover, slow=batch:max or mid=batch:64"
    if not separator or not name or not spec:
        raise InvalidQuantity(f"invalid tier {text!r}: expected NAME=SPEC", hint=hint)
    if spec.startswith("batch:"):
        value = spec[len("batch:"):]
        if value in ("max", "crossover"):
            return TierSpec(name, value, None)
        if value.isdigit() and int(value) >= 1:
            return TierSpec(name, "batch", int(value))
        raise InvalidQuantity(f"invalid tier {text!r}: {value!r} is not a batch of 1 or more, max or crossover", hint=hint)
    if spec.endswith("tok/s"):
        from roofcalc.units import parse_number

        speed = parse_number(spec[: -len("tok/s")], what="tier speed")
        return TierSpec(name, "speed", speed)
    raise InvalidQuantity(f"invalid tier {text!r}: unknown spec {spec!r}", hint=hint)


DEFAULT_TIERS = (TierSpec("fast", "batch", 1), TierSpec("standard", "crossover", None), TierSpec("slow", "max", None))


def doubling_latency_batch(scenario: Scenario) -> Boundary:
    """Return the largest batch whose step latency is at most twice that at batch 1."""
    step_one = float(report.evaluate_points(scenario, 1)["step_latency_s"])
    return largest_batch_meeting(scenario, 2 * step_one)


def tiers(scenario: Scenario, specs=DEFAULT_TIERS) -> tuple[list[dict], list[str]]:
    """Evaluate service tiers: the batch each runs at, its speed, latency, price and price multiple."""
    warnings = []
    max_batch = int(report.evaluate_points(scenario, 1)["max_batch"]) if scenario.memory_known else None
    if max_batch is not None and max_batch < 1:
        raise RoofcalcError("not even one sequence fits beside the weights", hint="use more --gpus or a shorter --context")
    crossover = report.static_results(scenario)["crossover_batch"]
    chosen = []
    for spec in specs:
        if spec.kind == "batch":
            batch, rule = int(spec.value), f"batch {int(spec.value)}"
        elif spec.kind == "max":
            if max_batch is None:
                raise RoofcalcError("the slow tier needs the max batch", hint="pass --memory such as 80GB")
            batch, rule = max_batch, "max batch"
        elif spec.kind == "crossover":
            if crossover is not None and max_batch is not None and crossover > max_batch:
                boundary = doubling_latency_batch(scenario)
                batch = boundary.batch
                if boundary.binding == "capacity":
                    rule = "max batch, where the step is under 2× batch 1 (crossover beyond max batch)"
                else:
                    rule = "step latency 2× batch 1 (crossover beyond max batch)"
            elif crossover is None:
                raise RoofcalcError(scenario.null_reasons.get("compute", "the crossover batch is unknown"))
            else:
                batch, rule = max(1, int(crossover)), "crossover batch"
        else:
            boundary = largest_batch_meeting(scenario, 1.0 / spec.value)
            if boundary.batch is None:
                raise RoofcalcError(f"tier {spec.name!r} cannot reach {spec.value:g} tok/s per user: {boundary.message}")
            batch, rule = boundary.batch, f"largest batch at ≥ {spec.value:g} tok/s per user"
        if max_batch is not None and batch > max_batch:
            warnings.append(f"tier {spec.name!r} at batch {batch} exceeds the max batch of {max_batch}")
        chosen.append((spec.name, batch, rule))

    points = report.evaluate_points(scenario, np.array([batch for _, batch, _ in chosen], dtype=float))
    rows = rows_from_points(scenario, points)
    prices = [row["price_per_million_output_tokens_usd"] for row in rows]
    cheapest = min((price for price in prices if price is not None), default=None)
    for (name, _, rule), row in zip(chosen, rows):
        row["tier"] = name
        row["rule"] = rule
        price = row["price_per_million_output_tokens_usd"]
        row["price_multiple"] = None if price is None or cheapest is None else price / cheapest
    return rows, warnings


class LoadResult(NamedTuple):
    """The continuous-batching steady state at an arrival rate."""

    stable: bool
    batch: float | None  # mean sequences in flight
    step_latency_s: float | None
    message: str


def steady_batch(scenario: Scenario, requests_per_s: float, output_tokens: int) -> LoadResult:
    """Solve Little's law for continuous batching: `B = rate × output_tokens × step(B)`.

    A request stays in the batch for `output_tokens` steps, so the sequences in flight
    equal the arrival rate times that time. `step(B)` grows with `B`, and the
    smallest root of `B − rate × O × step(B)` is the steady state reached from an empty
    system: it is found by scanning a geometric grid up to the max batch in one array
    and refining the first sign change by bisection. Beyond the max batch no steady
    state exists and the queue grows without bound.
    """
    demand = requests_per_s * output_tokens  # tokens per second asked for

    def excess(batch):
        steps = report.evaluate_points(scenario, batch)["step_latency_s"]
        return np.asarray(batch, dtype=float) - demand * steps

    if report.evaluate_points(scenario, 1)["step_latency_s"] is None:
        raise RoofcalcError(scenario.null_reasons["compute"])
    limit = float(report.evaluate_points(scenario, 1)["max_batch"]) if scenario.memory_known else 1e9
    if limit < 1:
        raise RoofcalcError("not even one sequence fits beside the weights", hint="use more --gpus or a shorter --context")
    grid = np.concatenate([np.geomspace(1e-9, limit, 4096), [limit]])
    values = excess(grid)
    crossing = np.nonzero(values >= 0)[0]
    if crossing.size == 0:
        capacity = limit / float(report.evaluate_points(scenario, limit)["step_latency_s"])
        return LoadResult(False, None, None,
                          f"{demand:,.0f} tokens/s exceeds the {capacity:,.0f} tokens/s this group serves at its max batch "
                          f"of {limit:,.0f}: the queue grows without bound; add replicas or accelerators")
    high = grid[crossing[0]]
    low = grid[crossing[0] - 1] if crossing[0] > 0 else 0.0
    for _ in range(200):
        middle = (low + high) / 2.0
        if excess(middle) >= 0:
            high = middle
        else:
            low = middle
        if high - low <= 1e-15 * max(high, 1.0):
            break
    step = float(report.evaluate_points(scenario, high)["step_latency_s"])
    return LoadResult(True, float(high), step, "steady state")


DEFAULT_NODE_SIZE = 8  # NOTE: used for --gpus auto when a catalog entry gives no max_per_node


def fitting_count(request, hardware, scenario_module) -> tuple[int | None, str | None]:
    """Return the fewest accelerators of `hardware` that hold the weights and one sequence, up to a node.

    Returns (count, None), or (None, reason) when even a full node is too small.
    """
    node = hardware.max_per_node or DEFAULT_NODE_SIZE
    one = scenario_module.resolve(request._replace(hardware=hardware, num_accelerators=1))
    context = int(report.decode_contexts(one)[3])
    needed = roofline.min_accelerators(one.workload, one.system, context, sequences=1)
    if needed > node:
        return None, f"needs {needed}, node holds {node}"
    # Tensor parallelism splits the query heads evenly, so take the first count that divides them.
    heads = request.model.num_attention_heads if request.model is not None else None
    for count in range(needed, node + 1):
        if heads is None or heads % count == 0:
            return count, None
    return None, f"no count from {needed} to {node} divides the {heads} heads"


def compare(request, hardware_list, auto_count: bool, price_batch: int | None = None,
            target_step_s: float | None = None, throughput_tokens_per_s: float | None = None) -> tuple[list[dict], list[str]]:
    """Compare one model across accelerators; return one row per accelerator and warnings.

    With a target step latency, each accelerator is tried at every count from the
    smallest that fits up to a node, and the row keeps the cheapest count that meets it.
    """
    from roofcalc import scenario as scenario_module

    rows, warnings = [], []
    for hardware in hardware_list:
        row = {"hardware": hardware.id, "num_accelerators": None, "fits": False, "reason": None}
        try:
            if auto_count:
                count, reason = fitting_count(request, hardware, scenario_module)
            else:
                count, reason = request.num_accelerators, None
            if count is None:
                row["reason"] = reason
                rows.append(row)
                continue
            counts = [count]
            if target_step_s is not None and auto_count:
                heads = request.model.num_attention_heads if request.model is not None else None
                node = hardware.max_per_node or DEFAULT_NODE_SIZE
                counts = [n for n in range(count, node + 1) if heads is None or heads % n == 0]
            best = None
            for candidate in counts:
                option = _compare_row(scenario_module.resolve(request._replace(hardware=hardware, num_accelerators=candidate)),
                                      price_batch, target_step_s, throughput_tokens_per_s)
                if best is None or _better_for_target(option, best):
                    best = option
            row.update(best)
        except DoesNotFitError:
            one = scenario_module.resolve(request._replace(hardware=hardware, num_accelerators=1))
            context = int(report.decode_contexts(one)[3])
            needed = roofline.min_accelerators(one.workload, one.system, context, sequences=1)
            row["reason"] = f"does not fit: needs {needed}"
        except RoofcalcError as error:
            row["reason"] = error.message
        rows.append(row)
    return rows, warnings


def _better_for_target(option: dict, best: dict) -> bool:
    """Return whether `option` beats `best` for a speed target: it meets the target and costs less.

    Without prices the fewest accelerators that meet the target win.
    """
    if option.get("target_batch") is None:
        return False
    if best.get("target_batch") is None:
        return True
    price, best_price = option.get("target_price_per_million_output_tokens_usd"), best.get("target_price_per_million_output_tokens_usd")
    if price is not None and best_price is not None:
        return price < best_price
    return False  # counts are tried in rising order, so the first that meets the target stays


def _compare_row(scenario: Scenario, price_batch, target_step_s, throughput_tokens_per_s) -> dict:
    report.check_fit(scenario)
    static = report.static_results(scenario)
    max_batch = int(report.evaluate_points(scenario, 1)["max_batch"])
    if max_batch < 1:
        return {"num_accelerators": scenario.system.num_accelerators, "fits": False,
                "reason": "the weights fit but not one sequence of this context"}
    batches = [1, max_batch] + ([price_batch] if price_batch else [])
    points = report.evaluate_points(scenario, np.array(batches, dtype=float))

    def at(key, index):
        values = points[key]
        return None if values is None else report.scalar(values[index])

    notes = []
    if scenario.system.peak_flops_per_s is None:
        notes.append("no FLOP/s published")
    elif scenario.system.price_usd_per_hour is None:
        notes.append("no price in catalog")
    row = {
        "num_accelerators": scenario.system.num_accelerators,
        "fits": True,
        "reason": "; ".join(notes) or None,
        "batch1_step_latency_s": at("step_latency_s", 0),
        "batch1_tokens_per_s_per_user": at("tokens_per_s_per_user", 0),
        "crossover_batch": static["crossover_batch"],
        "max_batch": max_batch,
        "max_batch_throughput_tokens_per_s": at("throughput_tokens_per_s", 1),
        "max_batch_price_per_million_output_tokens_usd": at("price_per_million_output_tokens_usd", 1),
        "max_batch_energy_per_output_token_j": at("energy_per_output_token_j", 1),
    }
    if price_batch:
        row["batch_price_per_million_output_tokens_usd"] = at("price_per_million_output_tokens_usd", 2)
        if price_batch > max_batch:
            row["batch_price_per_million_output_tokens_usd"] = None
            row["reason"] = f"batch {price_batch} exceeds the max batch of {max_batch}"
    service_batch, service_index = max_batch, 1
    if target_step_s is not None:
        boundary = largest_batch_meeting(scenario, target_step_s)
        row["target_batch"] = boundary.batch
        row["target_binding"] = boundary.binding
        row["target_price_per_million_output_tokens_usd"] = None
        if boundary.batch is not None:
            target_points = report.evaluate_points(scenario, boundary.batch)
            row["target_price_per_million_output_tokens_usd"] = report.scalar(target_points["price_per_million_output_tokens_usd"])
            row["target_throughput_tokens_per_s"] = report.scalar(target_points["throughput_tokens_per_s"])
        else:
            row["reason"] = boundary.message
        service_batch = boundary.batch
    if throughput_tokens_per_s is not None:
        per_group = row.get("target_throughput_tokens_per_s") if target_step_s is not None else at("throughput_tokens_per_s", service_index)
        row.update(replicas_for(scenario, throughput_tokens_per_s, per_group))
        row["replica_batch"] = service_batch
    return row


def replicas_for(scenario: Scenario, tokens_per_s: float, per_group_tokens_per_s: float | None) -> dict:
    """Return the fewest groups that deliver `tokens_per_s` and their cost per hour."""
    if per_group_tokens_per_s is None:
        return {"replicas": None, "cost_per_hour_usd": None}
    replicas = math.ceil(tokens_per_s / per_group_tokens_per_s * (1 - 1e-12))
    price = scenario.system.price_usd_per_hour
    cost = None if price is None else replicas * scenario.system.num_accelerators * price
    return {"replicas": replicas, "cost_per_hour_usd": cost}


class CatalogGrid(NamedTuple):
    """Every model on every accelerator at every batch, as arrays shaped (models, accelerators, batches)."""

    model_ids: list[str]
    hardware_ids: list[str]
    batches: np.ndarray
    num_accelerators: np.ndarray  # (models, accelerators): the fewest that hold weights and one sequence
    fits: np.ndarray  # (models, accelerators): that count is within a node
    step_latency_s: np.ndarray  # NaN where the accelerator publishes no FLOP/s at the compute type
    throughput_tokens_per_s: np.ndarray
    price_per_million_output_tokens_usd: np.ndarray  # NaN where no price is known
    max_batch: np.ndarray  # (models, accelerators)


def catalog_grid(models, hardware_list, batches, context_tokens: int = 4096, compute_dtype: str = "bf16") -> CatalogGrid:
    """Evaluate all (model, accelerator) pairs over `batches` in one broadcast numpy evaluation.

    Each model is resolved once and each accelerator read once; the pairs are never
    looped over. The model's fields become arrays of shape (models, 1, 1), the
    accelerators' (1, accelerators, 1) and the batches (1, 1, batches), and the roofline
    functions broadcast over all three. Every model gets two attention groups, full and
    windowed, the second empty (no KV bytes) for a model without windows. Each pair uses
    the fewest accelerators that hold the weights and one sequence (`min_accelerators`),
    and `fits` tells whether that many fit in one node.
    """
    from roofcalc import scenario as scenario_module
    from roofcalc.model import AttentionGroup, System, Workload

    workloads = []
    for entry in models:
        resolved = scenario_module.resolve(scenario_module.Request(
            model=entry, bandwidth_bytes_per_s=1.0, flops_per_s=1.0, memory_bytes=1.0, context_tokens=context_tokens,
        ))
        workloads.append(resolved.workload)

    def column(values):
        return np.array(values, dtype=float).reshape(-1, 1, 1)

    def group(workload, windowed: bool):
        found = [g for g in workload.attention if (g.window_tokens is not None) == windowed]
        return found[0] if found else AttentionGroup(1.0, 0.0, 0.0, 0.0)

    full = [group(w, False) for w in workloads]
    windowed = [group(w, True) for w in workloads]
    stacked = Workload(
        resident_weight_bytes=column([w.resident_weight_bytes for w in workloads]),
        shared_weight_bytes=column([w.shared_weight_bytes for w in workloads]),
        routed_weight_bytes=column([w.routed_weight_bytes for w in workloads]),
        routed_fraction=column([w.routed_fraction for w in workloads]),
        active_params=column([w.active_params for w in workloads]),
        attention=(
            AttentionGroup(None, column([g.kv_bytes_per_token for g in full]), column([g.flops_per_token_pair for g in full]),
                           column([g.prefill_flops_per_token_pair for g in full])),
            AttentionGroup(column([g.window_tokens for g in windowed]), column([g.kv_bytes_per_token for g in windowed]),
                           column([g.flops_per_token_pair for g in windowed]),
                           column([g.prefill_flops_per_token_pair for g in windowed])),
        ),
        num_layers=column([w.num_layers for w in workloads]),
        hidden_size=column([w.hidden_size for w in workloads]),
        moe_layers=column([w.moe_layers for w in workloads]),
        experts_per_token=column([w.experts_per_token for w in workloads]),
    )

    def row(values):
        return np.array(values, dtype=float).reshape(1, -1, 1)

    nan = float("nan")
    capacity = row([h.memory_capacity_bytes for h in hardware_list])
    usable = capacity * (1 - scenario_module.DEFAULT_MEMORY_RESERVE)
    kv_sequence = roofline.kv_cache_bytes_per_sequence(stacked, context_tokens)
    counts = np.maximum(1, np.ceil((stacked.resident_weight_bytes + kv_sequence) / usable))
    nodes = row([h.max_per_node or DEFAULT_NODE_SIZE for h in hardware_list])
    links = [h.interconnect_bandwidth_bytes_per_s or scenario_module.PCIE4_X16_BYTES_PER_S for h in hardware_list]
    system = System(
        num_accelerators=counts,
        memory_bandwidth_bytes_per_s=row([h.memory_bandwidth_bytes_per_s for h in hardware_list]),
        memory_capacity_bytes=capacity,
        peak_flops_per_s=row([h.dense_flops_per_s.get(compute_dtype, nan) for h in hardware_list]),
        price_usd_per_hour=row([h.price_usd_per_hour if h.price_usd_per_hour is not None else nan for h in hardware_list]),
        interconnect_bandwidth_bytes_per_s=row(links),
    )
    batch = np.asarray(batches, dtype=float).reshape(1, 1, -1)
    with np.errstate(invalid="ignore"):
        step = roofline.decode_step(stacked, system, batch, context_tokens)
        latency = step.step_latency_s
        throughput = batch / latency
        price = counts * system.price_usd_per_hour / 3600.0 * latency / batch * 1e6
        max_batch = np.floor((counts * usable - stacked.resident_weight_bytes) / kv_sequence)
    return CatalogGrid(
        model_ids=[entry.id for entry in models],
        hardware_ids=[entry.id for entry in hardware_list],
        batches=np.asarray(batches, dtype=float),
        num_accelerators=counts[..., 0],
        fits=(counts <= nodes)[..., 0],
        step_latency_s=latency,
        throughput_tokens_per_s=throughput,
        price_per_million_output_tokens_usd=price,
        max_batch=max_batch[..., 0],
    )

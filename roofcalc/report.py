"""The `calc` result: every figure of one scenario as a JSON-ready dict with SI units in its keys.

Undefined values are None (JSON null), never NaN or infinity, and `null_reasons`
gives the reason for each null.
"""

from __future__ import annotations

import math

import numpy as np

from roofcalc import model as roofline
from roofcalc.errors import DoesNotFitError, RoofcalcError
from roofcalc.scenario import Scenario

SCHEMA_VERSION = 1


def _number(value):
    """Convert a numpy or Python scalar to a plain float, or None when undefined."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _gigabytes(value: float) -> str:
    return f"{value / 1e9:,.1f} GB"


def check_fit(scenario: Scenario) -> None:
    """Raise DoesNotFitError when the weights alone exceed the usable memory."""
    system, workload = scenario.system, scenario.workload
    if not scenario.memory_known or workload.resident_weight_bytes <= system.usable_memory_bytes:
        return
    needed = roofline.min_accelerators(workload, system, scenario.request.context_tokens)
    raise DoesNotFitError(
        f"{scenario.model_label} weights ({_gigabytes(workload.resident_weight_bytes)} at {scenario.inputs['weight_dtype']['value']}) do not fit in "
        f"{system.num_accelerators} × {scenario.hardware_label} ({_gigabytes(system.usable_memory_bytes)} usable "
        f"after the {system.memory_reserve:.0%} reserve)",
        hint=f"use --gpus {needed} or more, a smaller --weight-dtype, or a lower --memory-reserve",
    )


# Keys of the calc result that vary from point to point, in output order.
POINT_KEYS = (
    "batch", "context_tokens",
    "kv_cache_bytes_per_token", "kv_cache_bytes_per_sequence", "kv_cache_context_tokens",
    "weight_bytes_read_per_step", "kv_bytes_read_per_step", "flops_per_step", "linear_flops_per_step",
    "attention_flops_per_step", "memory_time_s", "compute_time_s", "step_latency_s", "bound",
    "linear_time_s", "linear_bound", "attention_time_s", "attention_bound", "communication_time_s",
    "overhead_time_s", "max_batch", "memory_used_bytes", "throughput_tokens_per_s",
    "total_throughput_tokens_per_s", "tokens_per_s_per_user",
    "price_per_million_output_tokens_usd", "energy_per_output_token_j",
    "prefill_flops", "prefill_bytes", "time_to_first_token_s", "price_per_million_input_tokens_usd",
)
# Results that need the peak FLOP/s, and become null without it.
COMPUTE_KEYS = (
    "compute_time_s", "step_latency_s", "bound", "linear_time_s", "linear_bound", "attention_time_s",
    "attention_bound", "crossover_batch", "throughput_tokens_per_s", "tokens_per_s_per_user",
    "price_per_million_output_tokens_usd", "energy_per_output_token_j", "time_to_first_token_s",
    "price_per_million_input_tokens_usd",
)


def decode_contexts(scenario: Scenario, context_tokens=None):
    """Return (decode context, generated tokens, prompt tokens, peak context) for the scenario.

    Over a generation, decode starts at the prompt and the cache grows a token a step,
    so memory must hold the cache at its largest, prompt + output.
    """
    request = scenario.request
    context = request.context_tokens if context_tokens is None else context_tokens
    generated = request.output_tokens or 0
    prompt = request.prompt_tokens if request.prompt_tokens is not None else context
    if generated:
        context = prompt
    return context, generated, prompt, np.asarray(context) + generated


def evaluate_points(scenario: Scenario, batch, context_tokens=None) -> dict:
    """Evaluate the per-point results for arrays (or scalars) of batch sizes and contexts.

    Returns numpy arrays keyed as in POINT_KEYS (None for results that need an unknown
    input), broadcast over `batch` and `context_tokens`. One call covers a whole grid.
    Raises RoofcalcError when extreme inputs drive a result to infinity or NaN.
    """
    with np.errstate(all="ignore"):
        points = _evaluate_points(scenario, batch, context_tokens)
    for key, value in points.items():
        if value is not None and np.asarray(value).dtype.kind == "f" and not np.all(np.isfinite(value)):
            raise RoofcalcError(
                f"the inputs drive {key} out of the range of floating-point numbers",
                hint="check the magnitudes of the numbers given, such as a tiny --mbu or --memory",
            )
    return points


def _evaluate_points(scenario: Scenario, batch, context_tokens=None) -> dict:
    system, workload = scenario.system, scenario.workload
    batch = np.asarray(batch, dtype=float)
    context, generated, prompt, peak_context = decode_contexts(scenario, context_tokens)
    step = roofline.decode_step(workload, system, batch, context, generated)
    kv_per_sequence = roofline.kv_cache_bytes_per_sequence(workload, peak_context)

    points = {
        "batch": batch,
        "context_tokens": np.asarray(context, dtype=float),
        "kv_cache_bytes_per_token": kv_per_sequence / peak_context,
        "kv_cache_bytes_per_sequence": kv_per_sequence,
        "kv_cache_context_tokens": np.asarray(peak_context, dtype=float),
        "weight_bytes_read_per_step": step.weight_bytes_read,
        "kv_bytes_read_per_step": step.kv_bytes_read,
        "flops_per_step": step.linear_flops + step.attention_flops,
        "linear_flops_per_step": step.linear_flops,
        "attention_flops_per_step": step.attention_flops,
        "memory_time_s": step.memory_time_s,
        "compute_time_s": step.compute_time_s,
        "step_latency_s": step.step_latency_s,
        "bound": step.bound,
        "linear_time_s": step.linear.time_s,
        "linear_bound": step.linear.bound,
        "attention_time_s": step.attention.time_s,
        "attention_bound": step.attention.bound,
        "communication_time_s": np.broadcast_to(np.asarray(step.communication_time_s, dtype=float), batch.shape),
        "overhead_time_s": np.broadcast_to(np.asarray(step.overhead_time_s, dtype=float), batch.shape),
        "max_batch": roofline.max_batch(workload, system, peak_context) if scenario.memory_known else None,
        "memory_used_bytes": workload.resident_weight_bytes + batch * kv_per_sequence if scenario.memory_known else None,
        "throughput_tokens_per_s": None,
        "total_throughput_tokens_per_s": None,
        "tokens_per_s_per_user": None,
        "price_per_million_output_tokens_usd": None,
        "energy_per_output_token_j": None,
    }
    if step.step_latency_s is not None:
        seconds_per_token = step.step_latency_s / batch
        points["throughput_tokens_per_s"] = roofline.throughput_tokens_per_s(batch, step.step_latency_s)
        points["total_throughput_tokens_per_s"] = points["throughput_tokens_per_s"] * scenario.request.replicas
        points["tokens_per_s_per_user"] = roofline.tokens_per_s_per_user(step.step_latency_s)
        points["price_per_million_output_tokens_usd"] = roofline.price_per_million_tokens_usd(system, seconds_per_token)
        points["energy_per_output_token_j"] = roofline.energy_per_token_j(system, seconds_per_token)

    prefill = roofline.prefill(workload, system, prompt)
    points["prefill_flops"] = prefill.flops
    points["prefill_bytes"] = prefill.bytes_moved
    points["time_to_first_token_s"] = prefill.time_to_first_token_s
    points["price_per_million_input_tokens_usd"] = prefill.price_per_million_input_tokens_usd
    return points


def null_reasons_for(scenario: Scenario) -> dict[str, str]:
    """Return, for each result that comes out null, why."""
    reasons = {}
    if "compute" in scenario.null_reasons:
        reasons.update({key: scenario.null_reasons["compute"] for key in COMPUTE_KEYS})
    if "price" in scenario.null_reasons:
        reasons.setdefault("price_per_million_output_tokens_usd", scenario.null_reasons["price"])
        reasons.setdefault("price_per_million_input_tokens_usd", scenario.null_reasons["price"])
    if "energy" in scenario.null_reasons:
        reasons.setdefault("energy_per_output_token_j", scenario.null_reasons["energy"])
    if "capacity" in scenario.null_reasons:
        for key in ("max_batch", "memory_used_bytes", "memory_usable_bytes", "min_accelerators_for_one_sequence"):
            reasons[key] = scenario.null_reasons["capacity"]
    return reasons


def scalar(value):
    """Convert one element of a points array to a JSON value: a float, an int batch, a string or None."""
    if value is None:
        return None
    if np.asarray(value).dtype.kind == "U":  # a bound: "memory" or "compute"
        return str(value)
    return _number(value)


def embedding_bytes(scenario: Scenario) -> float:
    """Return the bytes of the input embedding and, when untied, the output head.

    Each is `vocab × hidden` parameters. With tied embeddings one table serves both.
    They count at the weight data type unless the model keeps unquantized parameters,
    which start with the embeddings, at bf16.
    """
    model = scenario.request.model
    if model is None or not model.embedding_params:
        return 0.0
    tables = model.embedding_params * (1 if model.tie_word_embeddings else 2)
    from roofcalc import dtypes

    weight = scenario.inputs["bytes_per_weight"]["value"]
    high_precision = min(tables, model.unquantized_params) if scenario.request.total_params is None else 0.0
    return high_precision * dtypes.bytes_per_element("bf16") + (tables - high_precision) * weight


def static_results(scenario: Scenario) -> dict:
    """Return the results that do not depend on batch or context, in output order."""
    system, workload = scenario.system, scenario.workload
    windowed = [group for group in workload.attention if group.window_tokens is not None]
    return {
        "weight_bytes": workload.resident_weight_bytes,
        "kv_cache_bytes_per_token_unwindowed": workload.kv_bytes_per_token_unwindowed,
        "windowed_layers": scenario.windowed_layers,
        "window_tokens": windowed[0].window_tokens if windowed else None,
        "attention_flops_per_byte": roofline.attention_arithmetic_intensity(workload),
        "crossover_batch": _number(roofline.crossover_batch(workload, system)),
        "memory_usable_bytes": system.usable_memory_bytes if scenario.memory_known else None,
    }


def calculate(scenario: Scenario) -> dict:
    """Evaluate one decode step, capacity, cost and prefill for `scenario`."""
    check_fit(scenario)
    request = scenario.request
    batch = request.batch
    context, generated, _, peak_context = decode_contexts(scenario)
    peak_context = int(peak_context)
    warnings = list(scenario.warnings)

    points = {key: scalar(value) for key, value in evaluate_points(scenario, batch).items()}
    static = static_results(scenario)
    points["max_batch"] = None if points["max_batch"] is None else int(points["max_batch"])

    min_for_one = None
    if scenario.memory_known:
        max_batch = points["max_batch"]
        min_for_one = roofline.min_accelerators(scenario.workload, scenario.system, peak_context, sequences=1)
        if max_batch < 1:
            raise DoesNotFitError(
                f"{scenario.model_label} weights fit in {scenario.system.num_accelerators} × {scenario.hardware_label}, "
                f"but not one sequence of {peak_context:,} tokens beside them",
                hint=f"use --gpus {min_for_one} or more, a shorter --context, or a smaller --kv-dtype",
            )
        if batch > max_batch:
            warnings.append(f"batch {batch} exceeds the max batch of {max_batch} that fits in memory at {peak_context} tokens of context")
    if points["attention_bound"] == roofline.COMPUTE:
        warnings.append(
            f"attention over the KV cache is compute-bound here: {static['attention_flops_per_byte']:.0f} FLOPs "
            "per byte exceeds the accelerator's ridge point"
        )
    mean_context = None
    if generated:
        mean_context = context + (generated - 1) / 2.0
        warnings.append(
            f"decode figures are means over {generated} output tokens after a {context}-token prompt, "
            f"at a mean context of {mean_context:g} tokens"
        )

    reasons = null_reasons_for(scenario)
    result = {"schema_version": SCHEMA_VERSION, "inputs": scenario.inputs}
    result.update({
        "weight_bytes": static["weight_bytes"],
        "embedding_bytes": embedding_bytes(scenario),
        "weight_bytes_without_embeddings": static["weight_bytes"] - embedding_bytes(scenario),
        "kv_cache_bytes_per_token": points["kv_cache_bytes_per_token"],
        "kv_cache_bytes_per_token_unwindowed": static["kv_cache_bytes_per_token_unwindowed"],
        "kv_cache_bytes_per_sequence": points["kv_cache_bytes_per_sequence"],
        "kv_cache_context_tokens": peak_context,
        "windowed_layers": static["windowed_layers"],
        "window_tokens": static["window_tokens"],
        "mean_context_tokens": mean_context,
    })
    for key in POINT_KEYS[5:]:
        result[key] = points[key]
        if key == "attention_bound":
            result["attention_flops_per_byte"] = static["attention_flops_per_byte"]
            result["crossover_batch"] = static["crossover_batch"]
        if key == "max_batch":
            result["min_accelerators_for_one_sequence"] = min_for_one
        if key == "memory_used_bytes":
            result["memory_usable_bytes"] = static["memory_usable_bytes"]
    result["null_reasons"] = {key: reason for key, reason in reasons.items() if result.get(key) is None}
    result["warnings"] = warnings
    return result

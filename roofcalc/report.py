"""The `calc` result: every figure of one scenario as a JSON-ready dict with SI units in its keys.

Undefined values are None (JSON null), never NaN or infinity, and `null_reasons`
says why each null is there.
"""

from __future__ import annotations

import math

from roofcalc import model as roofline
from roofcalc.errors import DoesNotFitError
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


def calculate(scenario: Scenario) -> dict:
    """Evaluate one decode step, capacity, cost and prefill for `scenario`."""
    check_fit(scenario)
    request, system, workload = scenario.request, scenario.system, scenario.workload
    batch = request.batch
    prompt = request.prompt_tokens if request.prompt_tokens is not None else request.context_tokens
    generated = request.output_tokens or 0
    # Over a generation, decode starts at the prompt and the cache grows a token a step;
    # memory must hold the cache at its largest, prompt + output.
    context = prompt if generated else request.context_tokens
    peak_context = context + generated
    warnings = list(scenario.warnings)
    null_reasons = {}
    compute_reason = scenario.null_reasons.get("compute")

    step = roofline.decode_step(workload, system, batch, context, generated)
    crossover = roofline.crossover_batch(workload, system)
    step_latency = _number(step.step_latency_s)

    max_batch = None
    min_for_one = None
    if scenario.memory_known:
        max_batch = int(roofline.max_batch(workload, system, peak_context))
        min_for_one = roofline.min_accelerators(workload, system, peak_context, sequences=1)
        if max_batch < 1:
            warnings.append(
                f"not even one sequence of {peak_context} tokens fits beside the weights; "
                f"{min_for_one} × {scenario.hardware_label} would hold one"
            )
        elif batch > max_batch:
            warnings.append(f"batch {batch} exceeds the max batch of {max_batch} that fits in memory at {peak_context} tokens of context")
    else:
        null_reasons["max_batch"] = scenario.null_reasons["capacity"]

    throughput = per_user = price_out = energy = None
    if step_latency is not None:
        throughput = _number(roofline.throughput_tokens_per_s(batch, step_latency))
        per_user = _number(roofline.tokens_per_s_per_user(step_latency))
        seconds_per_token = step_latency / batch
        price_out = _number(roofline.price_per_million_tokens_usd(system, seconds_per_token))
        energy = _number(roofline.energy_per_token_j(system, seconds_per_token))
        if price_out is None:
            null_reasons["price_per_million_output_tokens_usd"] = scenario.null_reasons["price"]
        if energy is None:
            null_reasons["energy_per_output_token_j"] = scenario.null_reasons["energy"]
    else:
        for key in ("compute_time_s", "step_latency_s", "bound", "linear_time_s", "attention_time_s", "crossover_batch",
                    "throughput_tokens_per_s", "tokens_per_s_per_user", "price_per_million_output_tokens_usd",
                    "energy_per_output_token_j", "time_to_first_token_s", "price_per_million_input_tokens_usd"):
            null_reasons[key] = compute_reason

    prefill = roofline.prefill(workload, system, prompt)
    if prefill.price_per_million_input_tokens_usd is None and "price_per_million_input_tokens_usd" not in null_reasons:
        null_reasons["price_per_million_input_tokens_usd"] = scenario.null_reasons["price"]

    intensity = roofline.attention_arithmetic_intensity(workload)
    attention_bound = None if step.attention.bound is None else str(step.attention.bound)
    if attention_bound == roofline.COMPUTE:
        warnings.append(
            f"attention over the KV cache is compute-bound here: {intensity:.0f} FLOPs per byte exceeds the accelerator's ridge point"
        )

    kv_per_sequence = float(roofline.kv_cache_bytes_per_sequence(workload, peak_context))
    memory_used = workload.resident_weight_bytes + batch * kv_per_sequence
    windowed = [group for group in workload.attention if group.window_tokens is not None]
    mean_context = None
    if generated:
        mean_context = context + (generated - 1) / 2.0
        warnings.append(
            f"decode figures are means over {generated} output tokens after a {context}-token prompt, "
            f"at a mean context of {mean_context:g} tokens"
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "inputs": scenario.inputs,
        "weight_bytes": workload.resident_weight_bytes,
        "kv_cache_bytes_per_token": kv_per_sequence / peak_context,
        "kv_cache_bytes_per_token_unwindowed": workload.kv_bytes_per_token_unwindowed,
        "kv_cache_bytes_per_sequence": kv_per_sequence,
        "kv_cache_context_tokens": peak_context,
        "windowed_layers": scenario.windowed_layers,
        "window_tokens": windowed[0].window_tokens if windowed else None,
        "mean_context_tokens": mean_context,
        "weight_bytes_read_per_step": _number(step.weight_bytes_read),
        "kv_bytes_read_per_step": _number(step.kv_bytes_read),
        "flops_per_step": _number(step.linear_flops + step.attention_flops),
        "linear_flops_per_step": _number(step.linear_flops),
        "attention_flops_per_step": _number(step.attention_flops),
        "memory_time_s": _number(step.memory_time_s),
        "compute_time_s": _number(step.compute_time_s),
        "step_latency_s": step_latency,
        "bound": None if step.bound is None else str(step.bound),
        "linear_time_s": _number(step.linear.time_s),
        "linear_bound": None if step.linear.bound is None else str(step.linear.bound),
        "attention_time_s": _number(step.attention.time_s),
        "attention_bound": attention_bound,
        "attention_flops_per_byte": intensity,
        "crossover_batch": _number(crossover),
        "max_batch": max_batch,
        "min_accelerators_for_one_sequence": min_for_one,
        "memory_used_bytes": memory_used if scenario.memory_known else None,
        "memory_usable_bytes": system.usable_memory_bytes if scenario.memory_known else None,
        "throughput_tokens_per_s": throughput,
        "tokens_per_s_per_user": per_user,
        "price_per_million_output_tokens_usd": price_out,
        "energy_per_output_token_j": energy,
        "prefill_flops": prefill.flops,
        "prefill_bytes": prefill.bytes_moved,
        "time_to_first_token_s": _number(prefill.time_to_first_token_s),
        "price_per_million_input_tokens_usd": _number(prefill.price_per_million_input_tokens_usd),
        "null_reasons": null_reasons,
        "warnings": warnings,
    }

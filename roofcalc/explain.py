"""Shown work for `calc --explain`: each formula in the order it is computed, with numbers substituted."""

from __future__ import annotations

from roofcalc import model as roofline
from roofcalc.scenario import Scenario


def _si(value: float, unit: str) -> str:
    """Format a value with a decimal prefix, such as 1.39e11 B → 139 GB."""
    if value is None:
        return "n/a"
    if unit in ("", "tokens/s") and float(value).is_integer():
        return f"{value:,.0f} {unit}".rstrip()
    if unit in ("", "tokens/s"):
        return f"{value:,.1f} {unit}".rstrip() if value >= 100 else f"{value:,.4g} {unit}".rstrip()
    if unit == "USD":
        return f"${value:,.4g}"
    for factor, prefix in ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= factor:
            return f"{value / factor:.4g} {prefix}{unit}"
    if unit == "s" and abs(value) < 1:
        return f"{value * 1e3:.4g} ms"
    return f"{value:.4g} {unit}".rstrip()


def _params(value: float) -> str:
    return f"{value / 1e9:,.4g}B"


def explain(scenario: Scenario, result: dict) -> list[dict]:
    """Return the steps of `result`'s computation as {quantity, formula, substituted, result} dicts."""
    system, workload = scenario.system, scenario.workload
    inputs = {key: entry["value"] for key, entry in result["inputs"].items()}
    batch = inputs["batch"]
    steps: list[dict] = []

    def add(quantity: str, formula: str, substituted: str, value, unit: str) -> None:
        steps.append({"quantity": quantity, "formula": formula, "substituted": substituted, "result": value,
                      "result_text": _si(value, unit) if isinstance(value, (int, float)) else str(value)})

    bytes_per_weight = inputs["bytes_per_weight"]
    add("weights held", "total_params × bytes_per_weight (+ unquantized params at 2 B)",
        f"{_params(inputs['total_params'])} × {bytes_per_weight:g} B", result["weight_bytes"], "B")
    if workload.is_sparse:
        coverage = float(roofline.expert_coverage(batch, workload.routed_fraction))
        add("weights read per step", "shared + routed × (1 − (1 − k/E)^B)",
            f"{_si(workload.shared_weight_bytes, 'B')} + {_si(workload.routed_weight_bytes, 'B')} × "
            f"(1 − (1 − {workload.routed_fraction:.4g})^{batch}) = {_si(workload.shared_weight_bytes, 'B')} + "
            f"{_si(workload.routed_weight_bytes, 'B')} × {coverage:.4f}",
            result["weight_bytes_read_per_step"], "B")
    else:
        add("weights read per step", "(total_params − input embedding) × bytes_per_weight",
            f"({_params(inputs['total_params'])} − {_params(inputs['embedding_params'])}) × {bytes_per_weight:g} B",
            result["weight_bytes_read_per_step"], "B")
    groups = " + ".join(
        f"{group.kv_bytes_per_token:,.0f} B × " + ("S" if group.window_tokens is None else f"min(S, {group.window_tokens:,.0f})")
        for group in workload.attention
    )
    add("KV cache per sequence", "Σ over layer groups of kv_bytes_per_token × cached tokens",
        f"{groups}, S = {result['kv_cache_context_tokens']:,}", result["kv_cache_bytes_per_sequence"], "B")
    attended = result["kv_bytes_read_per_step"] / batch
    add("KV read per step", "B × KV bytes attended per sequence", f"{batch} × {_si(attended, 'B')}",
        result["kv_bytes_read_per_step"], "B")
    add("effective bandwidth", "N × bandwidth × MBU",
        f"{system.num_accelerators} × {_si(system.memory_bandwidth_bytes_per_s, 'B/s')} × {system.mbu:g}",
        system.effective_bandwidth_bytes_per_s, "B/s")
    if system.effective_flops_per_s is None:
        add("effective compute", "N × peak FLOP/s × MFU", "peak FLOP/s unknown", "n/a", "")
        return steps
    add("effective compute", "N × peak FLOP/s × MFU",
        f"{system.num_accelerators} × {_si(system.peak_flops_per_s, 'FLOP/s')} × {system.mfu:g}",
        system.effective_flops_per_s, "FLOP/s")
    bandwidth, flops = system.effective_bandwidth_bytes_per_s, system.effective_flops_per_s
    linear_memory = result["weight_bytes_read_per_step"] / bandwidth
    linear_compute = result["linear_flops_per_step"] / flops
    add("linear layers", "max(weights read / bandwidth, 2 × B × P_active / FLOP/s)",
        f"max({_si(linear_memory, 's')}, 2 × {batch} × {_params(inputs['active_params'])} / {_si(flops, 'FLOP/s')} = {_si(linear_compute, 's')})",
        result["linear_time_s"], "s")
    attention_memory = result["kv_bytes_read_per_step"] / bandwidth
    attention_compute = result["attention_flops_per_step"] / flops
    add("attention", "max(KV read / bandwidth, attention FLOPs / FLOP/s)",
        f"max({_si(attention_memory, 's')}, {_si(attention_compute, 's')})", result["attention_time_s"], "s")
    if system.num_accelerators > 1 and system.interconnect_bandwidth_bytes_per_s:
        tp = system.tensor_parallel
        message = batch / system.pipeline_stages * workload.hidden_size * workload.activation_bytes
        add("communication", "2 × layers × (2 (TP − 1)/TP × B × hidden × 2 B / link + 2 × latency) (+ all-to-all, hand-offs)",
            f"2 × {workload.num_layers} × (2 × {tp - 1}/{tp} × {_si(message, 'B')} / "
            f"{_si(system.interconnect_bandwidth_bytes_per_s, 'B/s')} + 2 × {_si(system.message_latency_s, 's')})",
            result["communication_time_s"], "s")
    if result["overhead_time_s"]:
        add("fixed overhead", "step overhead + layers × layer overhead",
            f"{_si(system.step_overhead_s, 's')} + {workload.num_layers} × {_si(system.layer_overhead_s, 's')}",
            result["overhead_time_s"], "s")
    add("step latency", "linear + attention + communication + overhead",
        f"{_si(result['linear_time_s'], 's')} + {_si(result['attention_time_s'], 's')} + "
        f"{_si(result['communication_time_s'], 's')} + {_si(result['overhead_time_s'], 's')}", result["step_latency_s"], "s")
    add("crossover batch", "B where 2 × B × P_active / FLOP/s = W(B) / bandwidth",
        f"{_si(flops, 'FLOP/s')} / {_si(bandwidth, 'B/s')} × W / (2 × P_active)", result["crossover_batch"], "")
    if result["max_batch"] is not None:
        add("max batch", "floor((N × memory × (1 − reserve) − weights) / KV per sequence)",
            f"floor(({_si(result['memory_usable_bytes'], 'B')} − {_si(result['weight_bytes'], 'B')}) / "
            f"{_si(result['kv_cache_bytes_per_sequence'], 'B')})", result["max_batch"], "")
    add("throughput", "B / step", f"{batch} / {_si(result['step_latency_s'], 's')}", result["throughput_tokens_per_s"], "tokens/s")
    add("per-user speed", "1 / step", f"1 / {_si(result['step_latency_s'], 's')}", result["tokens_per_s_per_user"], "tokens/s")
    if result["price_per_million_output_tokens_usd"] is not None:
        add("price per million output tokens", "N × price_per_hour / 3600 × step / B × 10^6",
            f"{system.num_accelerators} × {system.price_usd_per_hour:g} / 3600 × {_si(result['step_latency_s'], 's')} / {batch} × 10^6",
            result["price_per_million_output_tokens_usd"], "USD")
    if result["energy_per_output_token_j"] is not None:
        add("energy per output token", "N × TDP × step / B",
            f"{system.num_accelerators} × {system.power_w:g} W × {_si(result['step_latency_s'], 's')} / {batch}",
            result["energy_per_output_token_j"], "J")

    parts = {
        f"linear layers, {result['linear_bound']}-bound": result["linear_time_s"],
        f"attention, {result['attention_bound']}-bound": result["attention_time_s"],
        "communication": result["communication_time_s"],
        "fixed overhead": result["overhead_time_s"],
    }
    dominant = max(parts, key=parts.get)
    share = parts[dominant] / result["step_latency_s"]
    add("dominant term", "the larger part of the step", f"{dominant}: {share:.0%} of the step", dominant, "")
    return steps

"""Resolution of a request (catalog entries plus command-line overrides) into the model's inputs.

This layer decides where each input comes from, derives the shared and routed weights of
a mixture of experts, and collects warnings and the reasons for results that must stay
null. It does no I/O beyond what the catalog objects already hold.
"""

from __future__ import annotations

from typing import NamedTuple

from roofcalc import dtypes
from roofcalc.errors import InvalidQuantity, MissingInputError
from roofcalc.model import AttentionGroup, System, Workload, full_attention
from roofcalc.specs import Hardware, Model

DEFAULT_MEMORY_RESERVE = 0.1  # vLLM's default gpu_memory_utilization is 0.9
DEFAULT_CONTEXT_TOKENS = 4096
# PCIe 4.0 x16: 16 GT/s × 16 lanes × 128/130 encoding ÷ 8 = 31.5 GB/s per direction.
PCIE4_X16_BYTES_PER_S = 16e9 * 16 * 128 / 130 / 8


class Request(NamedTuple):
    """A user's request: catalog entries, scenario options and raw-number overrides in SI units."""

    model: Model | None = None
    hardware: Hardware | None = None
    num_accelerators: int = 1
    batch: int = 1
    context_tokens: int = DEFAULT_CONTEXT_TOKENS
    prompt_tokens: int | None = None
    output_tokens: int | None = None  # with prompt_tokens: decode over a generation
    weight_dtype: str | None = None  # None: the model's released data type, else bf16
    kv_dtype: str = dtypes.DEFAULT_DTYPE
    compute_dtype: str = dtypes.DEFAULT_DTYPE
    emulate_as: str | None = None  # compute type whose peak FLOP/s stand in for a missing one
    mbu: float | None = None
    mfu: float | None = None
    memory_reserve: float | None = None
    bandwidth_bytes_per_s: float | None = None
    flops_per_s: float | None = None
    memory_bytes: float | None = None
    total_params: float | None = None
    active_params: float | None = None
    kv_bytes_per_token: float | None = None
    price_usd_per_hour: float | None = None
    tdp_w: float | None = None
    pipeline_stages: int = 1  # num_accelerators = tensor parallel × pipeline stages
    expert_parallel: int = 1
    replicas: int = 1
    efficiency: str = "ideal"  # "ideal" or "typical"
    interconnect_bytes_per_s: float | None = None
    message_latency_s: float | None = None
    overlap_communication: bool = False
    step_overhead_s: float | None = None
    layer_overhead_s: float | None = None
    profile: str | None = None  # the calibration profile that supplied mbu, mfu and step_overhead_s
    # Names of the options that were given explicitly, for provenance ("option --gpus").
    explicit: frozenset[str] = frozenset()


class Scenario(NamedTuple):
    """A request resolved into the model's inputs, with provenance, warnings and null reasons."""

    request: Request
    system: System
    workload: Workload
    inputs: dict[str, dict]  # input name -> {"value": ..., "source": ...}
    warnings: list[str]
    null_reasons: dict[str, str]  # result group -> why it is null
    memory_known: bool = True
    windowed_layers: int = 0
    model_label: str = "model"
    hardware_label: str = "accelerator"

    def record(self, name: str, value, source: str) -> None:
        self.inputs[name] = {"value": value, "source": source}


def _pick(override, option: str, catalog_value, catalog_source: str | None):
    """Return (value, source): the option when given, else the catalog value, else (None, None)."""
    if override is not None:
        return override, f"option {option}"
    if catalog_value is not None:
        return catalog_value, catalog_source
    return None, None


def split_weights(read_params: float, active_params: float, num_experts: int | None, experts_per_token: int | None):
    """Split the weights a step can read into (shared, routed, routed_fraction), in parameters.

    With `E` routed experts and `k` per token, a token uses `shared + routed × k/E`
    parameters, so `routed = (read − active) / (1 − k/E)` and `shared = read − routed`.
    A model given only by an active share `a = active / read` reads
    `read × (1 − (1 − a)^B)`: all of it routed with fraction `a`. A dense model is all shared.
    """
    if active_params > read_params:
        raise InvalidQuantity(
            f"active parameters {active_params:.4g} exceed the parameters a step can read, {read_params:.4g}",
            hint="check --active-params and --params (the input embedding is not counted as read)",
        )
    if num_experts and experts_per_token and experts_per_token < num_experts:
        fraction = experts_per_token / num_experts
        routed = (read_params - active_params) / (1.0 - fraction)
        shared = read_params - routed
        if shared < 0 and -shared <= 1e-9 * read_params:
            shared = 0.0  # floating-point rounding when active is exactly k/E of the weights
        if shared < 0:
            raise InvalidQuantity(
                f"active parameters {active_params:.4g} are fewer than {experts_per_token}/{num_experts} of the routed weights",
                hint="check active_params against total_params and the expert counts",
            )
        return shared, routed, fraction
    if active_params < read_params:
        return 0.0, read_params, active_params / read_params
    return read_params, 0.0, 1.0


def _attention_groups(request: Request, model: Model | None, kv_element_bytes: float, warnings: list[str]):
    """Return the model's attention layer groups at the KV data type, and the source of their sizes."""
    if request.kv_bytes_per_token is not None:
        if "--kv-dtype" in request.explicit:
            warnings.append("--kv-bytes-per-token is given, so --kv-dtype does not change the KV-cache size")
        kv_bytes, source = request.kv_bytes_per_token, "option --kv-bytes-per-token"
    elif model is not None and model.has_attention_dims:
        per_layer_kv = model.kv_elements_per_layer * kv_element_bytes
        flops = model.attention_flops_per_layer_pair
        prefill = model.prefill_attention_flops_per_layer_pair
        windowed = model.sliding_window_layers
        full = model.num_layers - windowed
        groups = []
        if full:
            groups.append(AttentionGroup(None, full * per_layer_kv, full * flops, full * prefill))
        if windowed:
            groups.append(AttentionGroup(model.sliding_window_tokens, windowed * per_layer_kv, windowed * flops, windowed * prefill))
        kind = "MLA latent" if model.is_mla else "K and V"
        source = f"model {model.id}: {kind}, {model.kv_elements_per_layer:g} elements per layer × {kv_element_bytes:g} B ({request.kv_dtype})"
        return tuple(groups), source
    elif model is not None and model.kv_elements is not None:
        kv_bytes, source = model.kv_elements * kv_element_bytes, f"model {model.id}: {model.kv_elements:g} elements × {kv_element_bytes:g} B ({request.kv_dtype})"
    else:
        raise MissingInputError("no KV-cache size given", hint="pass --model ID, or --kv-bytes-per-token such as 320KiB")

    if model is not None and model.attention_flops_per_token_pair is not None:
        flops = model.attention_flops_per_token_pair
    else:
        # 4·L·H·d equals 2 × (2·L·KV·d) when there are as many query heads as KV heads.
        flops = 2.0 * kv_bytes / kv_element_bytes
        warnings.append("the model has no attention dimensions, so attention FLOPs assume one query head per KV head")
    return full_attention(kv_bytes, flops), source


def resolve(request: Request) -> Scenario:
    """Resolve `request` into a System and a Workload, recording where each input came from."""
    model, hardware = request.model, request.hardware
    hw_source = f"hardware {hardware.id}" if hardware else None
    model_source = f"model {model.id}" if model else None
    explicit = request.explicit

    def origin(option: str) -> str:
        return f"option {option}" if option in explicit else "default"

    # Accelerator side.
    bandwidth, bandwidth_source = _pick(
        request.bandwidth_bytes_per_s, "--bandwidth", hardware and hardware.memory_bandwidth_bytes_per_s, hw_source
    )
    if bandwidth is None:
        raise MissingInputError("no memory bandwidth given", hint="pass --hardware ID, or --bandwidth such as 3.35TB/s")
    memory, memory_source = _pick(request.memory_bytes, "--memory", hardware and hardware.memory_capacity_bytes, hw_source)
    null_reasons: dict[str, str] = {}
    warnings: list[str] = []

    flops, flops_source = _pick(request.flops_per_s, "--flops", None, None)
    if flops is None and hardware is not None:
        table = hardware.dense_flops_per_s
        if request.compute_dtype in table:
            flops, flops_source = table[request.compute_dtype], hw_source
            if request.emulate_as is not None:
                warnings.append(f"{hardware.id} supports {request.compute_dtype}, so --emulate-as {request.emulate_as} is not used")
        elif request.emulate_as is not None and request.emulate_as in table:
            flops, flops_source = table[request.emulate_as], f"{hw_source}: {request.compute_dtype} emulated at {request.emulate_as}"
            warnings.append(f"{hardware.id} has no {request.compute_dtype} units, so compute runs at its {request.emulate_as} peak")
        elif table:
            supported = ", ".join(d for d in dtypes.COMPUTE_DTYPES if d in table)
            raise MissingInputError(
                f"{hardware.id} has no dense {request.compute_dtype} FLOP/s figure: the part does not support it or its vendor publishes none",
                hint=f"choose --compute-dtype from {supported}, emulate it with --emulate-as {supported.split(',')[0]}, or pass --flops",
            )
    if flops is None:
        where = hardware.id if hardware else "the accelerator"
        null_reasons["compute"] = (
            f"no peak FLOP/s known for {where} at {request.compute_dtype}, so the compute time and all that depends "
            "on it are unknown; pass --flops with the accelerator's dense peak"
        )

    price, price_source = _pick(request.price_usd_per_hour, "--price", hardware and hardware.price_usd_per_hour, hw_source)
    if price is None:
        null_reasons["price"] = "no price per accelerator-hour known; pass --price in USD"
    tdp, tdp_source = _pick(request.tdp_w, "--tdp", hardware and hardware.tdp_w, hw_source)
    if tdp is None:
        null_reasons["energy"] = "no board power known; pass --tdp in watts"

    reserve = request.memory_reserve if request.memory_reserve is not None else DEFAULT_MEMORY_RESERVE
    hardware_id = hardware.id if hardware else None

    def given(option: str) -> str:
        if option in explicit or request.profile is None:
            return f"option {option}"
        return f"profile {request.profile}"

    if request.efficiency == "typical":
        from roofcalc import efficiency

        typical_mbu = efficiency.typical_mbu(hardware_id)
        typical_mfu = efficiency.typical_mfu(hardware_id, request.compute_dtype)
        mbu, mbu_source = (request.mbu, given("--mbu")) if request.mbu is not None else (typical_mbu.value, f"typical: {typical_mbu.source}")
        mfu, mfu_source = (request.mfu, given("--mfu")) if request.mfu is not None else (typical_mfu.value, f"typical: {typical_mfu.source}")
        step_overhead = request.step_overhead_s if request.step_overhead_s is not None else efficiency.TYPICAL_STEP_OVERHEAD.value
        layer_overhead = request.layer_overhead_s if request.layer_overhead_s is not None else efficiency.TYPICAL_LAYER_OVERHEAD.value
        latency = request.message_latency_s if request.message_latency_s is not None else efficiency.TYPICAL_MESSAGE_LATENCY.value
        overhead_source = f"typical: {efficiency.TYPICAL_LAYER_OVERHEAD.source}"
        latency_source = f"typical: {efficiency.TYPICAL_MESSAGE_LATENCY.source}"
    else:
        mbu, mbu_source = (request.mbu, given("--mbu")) if request.mbu is not None else (1.0, "default: ideal roofline")
        mfu, mfu_source = (request.mfu, given("--mfu")) if request.mfu is not None else (1.0, "default: ideal roofline")
        step_overhead = request.step_overhead_s or 0.0
        layer_overhead = request.layer_overhead_s or 0.0
        latency = request.message_latency_s or 0.0
        overhead_source = latency_source = "default: ideal roofline"
    ideal = [name for name, value in (("MBU", request.mbu), ("MFU", request.mfu)) if value is None]
    if ideal and request.efficiency == "ideal":
        names = " and ".join(ideal)
        verb = "are" if len(ideal) == 2 else "is"
        options = " and ".join(f"--{name.lower()}" for name in ideal)
        warnings.append(
            f"{names} {verb} at the ideal 1.0, so times are lower bounds and speeds upper bounds; "
            f"pass --efficiency typical or {options} for an estimate"
        )

    tensor_parallel = request.num_accelerators // request.pipeline_stages
    link, link_source = _pick(request.interconnect_bytes_per_s, "--interconnect",
                              hardware and hardware.interconnect_bandwidth_bytes_per_s, hw_source)
    if link is None and request.num_accelerators > 1:
        link, link_source = PCIE4_X16_BYTES_PER_S, "fallback: PCIe 4.0 x16, 31.5 GB/s per direction"
        warnings.append(
            f"{hardware_id or 'the accelerator'} has no interconnect figure, so communication runs over PCIe 4.0 x16 "
            "(31.5 GB/s per direction); pass --interconnect to change it"
        )
    if model is not None and model.num_layers and request.pipeline_stages > model.num_layers:
        raise InvalidQuantity(f"--pp {request.pipeline_stages} exceeds {model.id}'s {model.num_layers} layers",
                              hint="give each pipeline stage at least one layer")
    if model is not None and model.num_attention_heads and model.num_attention_heads % tensor_parallel:
        warnings.append(
            f"{tensor_parallel}-way tensor parallelism does not divide {model.id}'s {model.num_attention_heads} query heads "
            "evenly, which serving engines reject; the figures assume an even split"
        )
    if request.expert_parallel > 1 and not (model is not None and model.num_experts):
        raise InvalidQuantity("--ep needs a mixture-of-experts model", hint="leave --ep at 1 for a dense model")
    if tensor_parallel % request.expert_parallel:
        raise InvalidQuantity(
            f"--ep {request.expert_parallel} does not divide the {tensor_parallel} accelerators of a pipeline stage",
            hint="choose --ep as a divisor of --tp",
        )

    system = System(
        num_accelerators=request.num_accelerators,
        memory_bandwidth_bytes_per_s=bandwidth,
        memory_capacity_bytes=memory if memory is not None else 0.0,
        peak_flops_per_s=flops,
        price_usd_per_hour=price,
        power_w=tdp,
        mbu=mbu,
        mfu=mfu,
        memory_reserve=reserve,
        pipeline_stages=request.pipeline_stages,
        expert_parallel=request.expert_parallel,
        interconnect_bandwidth_bytes_per_s=link,
        message_latency_s=latency,
        overlap_communication=request.overlap_communication,
        step_overhead_s=step_overhead,
        layer_overhead_s=layer_overhead,
    )

    # Model side.
    if request.weight_dtype is not None:
        weight_dtype, weight_dtype_source = request.weight_dtype, "option --weight-dtype"
    elif model is not None:
        weight_dtype, weight_dtype_source = model.default_weight_dtype, f"{model_source}: released weights"
    else:
        weight_dtype, weight_dtype_source = dtypes.DEFAULT_DTYPE, "default"
    weight_bytes = dtypes.bytes_per_element(weight_dtype)
    kv_element_bytes = dtypes.bytes_per_element(request.kv_dtype)
    total, total_source = _pick(request.total_params, "--params", model and model.total_params, model_source)
    if total is None:
        raise MissingInputError("no parameter count given", hint="pass --model ID, or --params such as 70B")
    embedding = model.embedding_params if model and not model.tie_word_embeddings else 0.0
    read = total - embedding
    if read <= 0:
        raise InvalidQuantity(
            f"--params {total:,.0f} is not more than {model.id}'s input embedding of {embedding:,.0f} parameters",
            hint="pass the total parameter count, embeddings included",
        )
    is_moe = model is not None and model.active_params is not None
    if request.active_params is not None:
        active, active_source = request.active_params, "option --active-params"
        if model is not None and not is_moe:
            warnings.append(
                f"--active-params on the dense model {model.id} treats it as a mixture of experts whose tokens "
                f"each use {active / read:.1%} of the weights, with no expert structure"
            )
    elif is_moe:
        active, active_source = model.active_params, model_source
        if request.total_params is not None:
            warnings.append(f"--params replaces {model.id}'s total; its active parameters and experts are kept")
    else:
        active, active_source = read, "derived: dense, all parameters but the input embedding read"
    experts = model.num_experts if model else None
    per_token = model.experts_per_token if model else None
    try:
        shared, routed, fraction = split_weights(read, active, experts, per_token)
    except InvalidQuantity as error:
        given = [option for option in ("--params", "--active-params") if option in explicit]
        if given:
            where = f"with {' and '.join(given)} on {model.id}: " if model is not None else f"with {' and '.join(given)}: "
        else:
            where = f"{model.origin}: " if model is not None else ""
        raise InvalidQuantity(where + error.message, hint=error.hint) from None

    attention, kv_source = _attention_groups(request, model, kv_element_bytes, warnings)

    # Parameters the released checkpoint keeps at bf16 (attention, router, embeddings)
    # stay at bf16; they belong to the input embedding first, then to the shared weights.
    unquantized = model.unquantized_params if model is not None and request.total_params is None else 0.0
    unquantized_read = min(max(unquantized - embedding, 0.0), shared) if unquantized else 0.0
    extra_bytes = dtypes.bytes_per_element("bf16") - weight_bytes
    workload = Workload(
        resident_weight_bytes=total * weight_bytes + unquantized * extra_bytes,
        shared_weight_bytes=shared * weight_bytes + unquantized_read * extra_bytes,
        routed_weight_bytes=routed * weight_bytes,
        routed_fraction=fraction,
        active_params=active,
        attention=attention,
        num_layers=(model.num_layers or 0) if model is not None else 0,
        hidden_size=(model.hidden_size or 0) if model is not None else 0,
        moe_layers=model.moe_layers if model is not None else 0,
        experts_per_token=(model.experts_per_token or 0) if model is not None else 0,
        activation_bytes=dtypes.bytes_per_element("bf16"),
    )
    if request.num_accelerators > 1 and workload.hidden_size == 0:
        warnings.append("the model's hidden size is unknown, so communication between accelerators is not modelled")

    scenario = Scenario(
        request=request,
        system=system,
        workload=workload,
        inputs={},
        warnings=warnings,
        null_reasons=null_reasons,
        memory_known=memory is not None,
        windowed_layers=model.sliding_window_layers if model and request.kv_bytes_per_token is None else 0,
        model_label=model.id if model else "model",
        hardware_label=hardware.id if hardware else "accelerator",
    )
    record = scenario.record
    record("model", model.id if model else None, model.origin if model else "none: raw numbers")
    record("hardware", hardware.id if hardware else None, hardware.origin if hardware else "none: raw numbers")
    record("num_accelerators", request.num_accelerators, origin("--gpus"))
    record("batch", request.batch, origin("--batch"))
    record("context_tokens", request.context_tokens, origin("--context"))
    prompt = request.prompt_tokens if request.prompt_tokens is not None else request.context_tokens
    record("prompt_tokens", prompt, "option --prompt-tokens" if request.prompt_tokens is not None else "default: the context")
    record("output_tokens", request.output_tokens, "option --output-tokens" if request.output_tokens is not None else "none: one step at the context")
    record("weight_dtype", weight_dtype, weight_dtype_source)
    record("kv_dtype", request.kv_dtype, origin("--kv-dtype"))
    record("compute_dtype", request.compute_dtype, origin("--compute-dtype"))
    record("memory_bandwidth_bytes_per_s", bandwidth, bandwidth_source)
    record("peak_flops_per_s", flops, flops_source or "unknown")
    record("memory_capacity_bytes", memory, memory_source or "unknown")
    record("price_usd_per_hour", price, price_source or "unknown")
    record("price_date", hardware.price_date if hardware and price_source == hw_source else None, price_source or "unknown")
    record("tdp_w", tdp, tdp_source or "unknown")
    record("total_params", total, total_source)
    record("embedding_params", embedding, model_source or "none")
    record("active_params", active, active_source)
    record("bytes_per_weight", weight_bytes, f"weight dtype {weight_dtype}, block scales included")
    record("unquantized_params", unquantized, model_source or "none")
    record("kv_cache_bytes_per_token_unwindowed", workload.kv_bytes_per_token_unwindowed, kv_source)
    record("mbu", mbu, mbu_source)
    record("mfu", mfu, mfu_source)
    record("efficiency", request.efficiency, origin("--efficiency"))
    record("tensor_parallel", tensor_parallel, "option --tp or --gpus" if "--tp" in explicit or "--gpus" in explicit else "default")
    record("pipeline_stages", request.pipeline_stages, origin("--pp"))
    record("expert_parallel", request.expert_parallel, origin("--ep"))
    record("replicas", request.replicas, origin("--replicas"))
    record("interconnect_bandwidth_bytes_per_s", link, link_source or "none: one accelerator")
    record("message_latency_s", latency, origin("--message-latency") if request.message_latency_s is not None else latency_source)
    record("overlap_communication", request.overlap_communication, origin("--overlap-comm"))
    record("step_overhead_s", step_overhead, given("--step-overhead") if request.step_overhead_s is not None else overhead_source)
    record("layer_overhead_s", layer_overhead, origin("--layer-overhead") if request.layer_overhead_s is not None else overhead_source)
    record("memory_reserve", reserve, origin("--memory-reserve") if request.memory_reserve is not None else "default")

    node = hardware.max_per_node if hardware else None
    if node and request.num_accelerators > node:
        warnings.append(
            f"{request.num_accelerators} × {hardware.id} exceeds the {node} per node, so the group spans nodes; "
            "roofcalc treats it as one device and ignores the slower links between nodes"
        )
    if model and model.max_context_tokens and request.context_tokens > model.max_context_tokens:
        warnings.append(f"context {request.context_tokens} tokens exceeds {model.id}'s maximum of {model.max_context_tokens}")
    if request.prompt_tokens is not None and request.prompt_tokens > request.context_tokens:
        warnings.append(f"prompt of {request.prompt_tokens} tokens is longer than the context of {request.context_tokens}")
    if memory is None:
        null_reasons["capacity"] = "no memory capacity known; pass --memory such as 80GB"
    return scenario

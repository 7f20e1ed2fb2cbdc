"""The closed-form decode and prefill model: pure functions over plain numbers in SI units.

Units everywhere: bytes, seconds, FLOP (floating-point operations), FLOP/s, bytes/s,
watts, joules, USD. Nothing here reads files, parses options or prints.

The model follows the roofline treatment of transformer inference in "How to Scale
Your Model", Part 7 (Austin et al., jax-ml/scaling-book, inference.md): a decode step
runs the linear layers and the attention over the KV cache as separate kernels that do
not overlap, and each kernel takes the longer of its memory time and its compute time.
`N` accelerators act as one device with `N` times the bandwidth, FLOP/s and memory,
which is tensor parallelism with free communication.

Functions take scalars or numpy arrays of batch sizes and contexts alike, so one call
can evaluate a whole grid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

MEMORY = "memory"
COMPUTE = "compute"


class System(NamedTuple):
    """A group of identical accelerators serving one copy of the model.

    The group is `pipeline_stages` stages of `tensor_parallel` accelerators each. With
    one stage and no communication costs it acts as one device with `N` times the
    bandwidth, FLOP/s and memory.
    """

    num_accelerators: int  # N = tensor parallel × pipeline stages
    memory_bandwidth_bytes_per_s: float  # per accelerator, peak
    memory_capacity_bytes: float  # per accelerator
    peak_flops_per_s: float | None  # per accelerator, dense, at the compute data type
    price_usd_per_hour: float | None = None  # per accelerator
    power_w: float | None = None  # per accelerator
    mbu: float = 1.0  # achieved share of peak memory bandwidth
    mfu: float = 1.0  # achieved share of peak FLOP/s
    memory_reserve: float = 0.1  # share of memory kept for activations and the runtime
    pipeline_stages: int = 1
    expert_parallel: int = 1  # accelerators of a stage that split the experts among them
    interconnect_bandwidth_bytes_per_s: float | None = None  # per accelerator, one direction
    message_latency_s: float = 0.0  # fixed cost of one collective phase
    overlap_communication: bool = False
    step_overhead_s: float = 0.0  # fixed cost per decode step (scheduling, sampling)
    layer_overhead_s: float = 0.0  # fixed cost per layer per step (kernel launches)

    @property
    def tensor_parallel(self) -> int:
        return self.num_accelerators // self.pipeline_stages

    @property
    def effective_bandwidth_bytes_per_s(self) -> float:
        """Bandwidth of one pipeline stage after MBU: `TP × bandwidth × MBU` (`N` without pipelining)."""
        return self.tensor_parallel * self.memory_bandwidth_bytes_per_s * self.mbu

    @property
    def effective_flops_per_s(self) -> float | None:
        """FLOP/s of one pipeline stage after MFU: `TP × peak × MFU`, or None when unknown."""
        if self.peak_flops_per_s is None:
            return None
        return self.tensor_parallel * self.peak_flops_per_s * self.mfu

    @property
    def usable_memory_bytes(self) -> float:
        """Memory for weights and KV cache: `N × capacity × (1 − reserve)`."""
        return self.num_accelerators * self.memory_capacity_bytes * (1.0 - self.memory_reserve)


class AttentionGroup(NamedTuple):
    """Layers that cache the same number of tokens: all of the context, or a window of it."""

    window_tokens: float | None  # None: full attention over the whole context
    kv_bytes_per_token: float  # KV cache of one token, summed over the group's layers
    flops_per_token_pair: float  # decode FLOPs of one query against one cached token, summed over layers
    prefill_flops_per_token_pair: float  # the same in prefill, where MLA runs without absorption


def full_attention(kv_bytes_per_token: float, flops_per_token_pair: float) -> tuple[AttentionGroup, ...]:
    """Return the attention of a model whose every layer caches the whole context."""
    return (AttentionGroup(None, kv_bytes_per_token, flops_per_token_pair, flops_per_token_pair),)


class Workload(NamedTuple):
    """A model reduced to the numbers one decode step needs, at chosen data types.

    The weights a step reads split into a shared part, read every step, and a routed
    part (the experts of a mixture-of-experts model), of which a token uses the share
    `routed_fraction`. A dense model has no routed part.
    """

    resident_weight_bytes: float  # all weights held in memory
    shared_weight_bytes: float  # read every step, whatever the batch
    routed_weight_bytes: float  # read in proportion to expert coverage
    routed_fraction: float  # share of routed weights one token uses, k/E
    active_params: float  # parameters multiplied per token, input embedding excluded
    attention: tuple[AttentionGroup, ...]  # layer groups by how much context they cache
    num_layers: int = 0  # 0 when unknown: no per-layer overhead or communication
    hidden_size: int = 0  # 0 when unknown: no communication
    moe_layers: int = 0
    experts_per_token: int = 0
    activation_bytes: float = 2.0  # bytes per activation element sent between accelerators

    @property
    def is_sparse(self) -> bool:
        return self.routed_weight_bytes > 0 and self.routed_fraction < 1.0

    @property
    def kv_bytes_per_token_unwindowed(self) -> float:
        """KV bytes per token if every layer cached the whole context."""
        return sum(group.kv_bytes_per_token for group in self.attention)


def attended_tokens(context_tokens, window_tokens: float | None, generated_tokens=0):
    """Return the mean cached tokens one query attends to in a layer with `window_tokens`.

    Without generation this is `min(S, W)`, or `S` for full attention. Over a
    generation of `G` tokens after a context of `S`, the step that produces token `t`
    attends to `S + t − 1` tokens. The mean is therefore that of `min(s, W)` for `s`
    from `S` to `S + G − 1`, which is `S + (G − 1)/2` when no window caps it.
    """
    context = np.asarray(context_tokens, dtype=float)
    generated = np.asarray(generated_tokens, dtype=float)
    if not np.any(generated > 0):
        return context if window_tokens is None else np.minimum(context, window_tokens)
    steps = np.maximum(generated, 1.0)
    last = context + steps - 1.0
    if window_tokens is None:
        return (context + last) / 2.0
    return capped_sum(context, last, window_tokens) / steps


def capped_sum(first, last, cap: float):
    """Return `Σ min(s, cap)` for integers `s` from `first` to `last`, in closed form."""
    first = np.asarray(first, dtype=float)
    last = np.asarray(last, dtype=float)
    below_last = np.minimum(last, cap)
    below = np.where(below_last >= first, (first + below_last) * (below_last - first + 1.0) / 2.0, 0.0)
    above = np.maximum(last - np.maximum(first - 1.0, cap), 0.0) * cap
    return below + above


def kv_cache_bytes_per_sequence(workload: Workload, context_tokens):
    """Return the KV cache one sequence of `S` tokens holds: `Σ kv_bytes × min(S, W)` over layer groups."""
    return sum(group.kv_bytes_per_token * attended_tokens(context_tokens, group.window_tokens)
               for group in workload.attention)


def expert_coverage(batch, routed_fraction: float):
    """Return the expected share of experts that at least one of `batch` tokens uses.

    Formula: `1 − (1 − k/E)^B` under uniform, independent routing of `B` tokens, each
    to `k` of `E` experts. This is a modelling assumption: real routers are not uniform,
    and a skewed router touches fewer experts. Dimensionless.
    """
    batch = np.asarray(batch, dtype=float)
    return 1.0 - np.power(1.0 - routed_fraction, batch)


def weight_bytes_read(workload: Workload, batch):
    """Return the weight bytes one decode step of `batch` sequences reads.

    Formula: `shared + routed × (1 − (1 − k/E)^B)` bytes. For a dense model this is
    all weights read, the input embedding excluded. For a mixture of experts it equals
    the active weights at `B = 1` and tends to all weights as `B` grows.
    """
    coverage = expert_coverage(batch, workload.routed_fraction)
    return workload.shared_weight_bytes + workload.routed_weight_bytes * coverage


def kv_bytes_read(workload: Workload, batch, context_tokens, generated_tokens=0):
    """Return the KV-cache bytes one decode step reads: `B × Σ kv_bytes × attended tokens`.

    Without windows this is `B × S × kv_bytes_per_token`; a windowed layer reads at
    most its window.
    """
    per_sequence = sum(group.kv_bytes_per_token * attended_tokens(context_tokens, group.window_tokens, generated_tokens)
                       for group in workload.attention)
    return np.asarray(batch, dtype=float) * per_sequence


def linear_flops(workload: Workload, batch):
    """Return the FLOPs of the linear layers in one decode step: `2 × B × P_active`."""
    return 2.0 * np.asarray(batch, dtype=float) * workload.active_params


def attention_flops(workload: Workload, batch, context_tokens, generated_tokens=0):
    """Return the attention FLOPs of one decode step: `B × Σ flops_per_pair × attended tokens`.

    For standard attention without windows this is `B × S × 4 × L × H × d_head`: two
    FLOPs per multiply-add for the scores `q·k` and again for the weighted sum of
    values, in every layer and query head.
    """
    per_sequence = sum(group.flops_per_token_pair * attended_tokens(context_tokens, group.window_tokens, generated_tokens)
                       for group in workload.attention)
    return np.asarray(batch, dtype=float) * per_sequence


class KernelTime(NamedTuple):
    """Time of one kernel under the roofline: the longer of its memory and compute time."""

    memory_time_s: object
    compute_time_s: object  # None when the accelerator's FLOP/s are unknown
    time_s: object  # None when the compute time is unknown
    bound: object  # "memory" or "compute" (array of them for array input), or None


def roofline_time(bytes_moved, flops, system: System) -> KernelTime:
    """Time a kernel: `max(bytes / (N × bandwidth × MBU), FLOPs / (N × peak × MFU))`."""
    memory_time = np.asarray(bytes_moved, dtype=float) / system.effective_bandwidth_bytes_per_s
    effective_flops = system.effective_flops_per_s
    if effective_flops is None:
        return KernelTime(memory_time, None, None, None)
    compute_time = np.asarray(flops, dtype=float) / effective_flops
    bound = np.where(compute_time > memory_time, COMPUTE, MEMORY)
    return KernelTime(memory_time, compute_time, np.maximum(memory_time, compute_time), bound)


class DecodeStep(NamedTuple):
    """One decode step of `batch` sequences, each holding `context_tokens` of context."""

    weight_bytes_read: object
    kv_bytes_read: object
    linear_flops: object
    attention_flops: object
    linear: KernelTime
    attention: KernelTime
    memory_time_s: object  # all bytes at the effective bandwidth
    compute_time_s: object  # all FLOPs at the effective FLOP/s, or None
    step_latency_s: object  # linear + attention + visible communication + overhead, or None
    bound: object  # the resource that limits the largest share of the step
    communication_time_s: object = 0.0  # the part not hidden behind compute
    overhead_time_s: object = 0.0


def decode_step(workload: Workload, system: System, batch, context_tokens, generated_tokens=0,
                queries_per_sequence=1) -> DecodeStep:
    """Evaluate one decode step, or the mean step over a generation of `generated_tokens`.

    Step latency = linear time + attention time, where each part is the roofline time
    of its own bytes and FLOPs (`roofline_time`). `bound` is "memory" when the parts
    limited by memory take at least as long as the parts limited by compute. With
    `generated_tokens` > 0 the KV terms use the mean context over the generation
    (`attended_tokens`), which is exact for the bytes and FLOPs; the max in each
    roofline time makes the step at the mean context a close estimate of the mean step.

    `queries_per_sequence` > 1 is a verification step of speculative decoding: each
    sequence runs that many tokens through the model at once, which multiplies the
    FLOPs and the tokens routed to experts but reads each weight and the KV cache once.
    """
    # With pipelining the batch runs as one micro-batch per stage (or one per sequence
    # when there are fewer sequences than stages). A token of every sequence takes one
    # pass of a micro-batch through all stages, and in that time each stage reads its
    # weights once per micro-batch.
    batch = np.asarray(batch, dtype=float)
    micro = np.maximum(batch / system.pipeline_stages, np.minimum(batch, 1.0))
    stages = batch / micro  # micro-batches in flight
    weights = weight_bytes_read(workload, micro * queries_per_sequence)
    kv = kv_bytes_read(workload, micro, context_tokens, generated_tokens)
    lin_flops = linear_flops(workload, micro * queries_per_sequence)
    attn_flops = attention_flops(workload, micro, context_tokens, generated_tokens) * queries_per_sequence
    linear = roofline_time(weights, lin_flops, system)
    attention = roofline_time(kv, attn_flops, system)
    communication = communication_time(workload, system, micro * queries_per_sequence)
    overhead = system.step_overhead_s + system.layer_overhead_s * workload.num_layers

    memory_time = (weights + kv) / system.effective_bandwidth_bytes_per_s
    if system.effective_flops_per_s is None:
        return DecodeStep(stages * weights, stages * kv, stages * lin_flops, stages * attn_flops, linear, attention,
                          memory_time, None, None, None, communication, overhead)

    compute_time = (lin_flops + attn_flops) / system.effective_flops_per_s
    kernels = linear.time_s + attention.time_s
    if system.overlap_communication:
        visible = np.maximum(communication - kernels, 0.0)
    else:
        visible = communication
    step = kernels + visible + overhead
    bound = dominant_bound(linear, attention, communication_s=visible, overhead_s=overhead)
    return DecodeStep(stages * weights, stages * kv, stages * lin_flops, stages * attn_flops, linear, attention,
                      memory_time, compute_time, step, bound, visible, overhead)


COMMUNICATION = "communication"
OVERHEAD = "overhead"


def dominant_bound(*kernels: KernelTime, communication_s=0.0, overhead_s=0.0):
    """Return the resource that limits the largest share of the step.

    The share of "memory" is the time of the memory-bound kernels, and the share of
    "compute" the time of the compute-bound ones. Communication and fixed overheads
    count as resources of their own.
    """
    memory_limited = sum(np.where(kernel.bound == MEMORY, kernel.time_s, 0.0) for kernel in kernels)
    compute_limited = sum(np.where(kernel.bound == COMPUTE, kernel.time_s, 0.0) for kernel in kernels)
    shares = np.broadcast_arrays(memory_limited, compute_limited, np.asarray(communication_s, dtype=float),
                                 np.asarray(overhead_s, dtype=float))
    names = np.array([MEMORY, COMPUTE, COMMUNICATION, OVERHEAD])
    return names[np.argmax(np.stack(shares), axis=0)]


def allreduce_time_s(message_bytes, accelerators: int, link_bytes_per_s: float, latency_s: float):
    """Return the time of one ring all-reduce of `message_bytes` over `accelerators`.

    A ring all-reduce is a reduce-scatter followed by an all-gather. Together they send
    `2 (N − 1) / N` of the buffer over each accelerator's link, and each phase pays the
    message latency once: `2 (N − 1)/N × bytes / link + 2 × latency`. Zero for one accelerator.
    """
    accelerators = np.asarray(accelerators, dtype=float)
    share = 2.0 * (accelerators - 1) / accelerators
    time = share * np.asarray(message_bytes, dtype=float) / link_bytes_per_s + 2.0 * latency_s
    return np.where(accelerators > 1, time, 0.0)


def communication_time(workload: Workload, system: System, micro_batch):
    """Return the communication time of one decode pass of a micro-batch, in seconds.

    Tensor parallelism: two all-reduces per layer (after attention and after the
    feed-forward block) of `B × hidden × activation bytes` each, as in Megatron-LM's
    layout. Expert parallelism: in each MoE layer the feed-forward all-reduce becomes an
    all-to-all dispatch and combine. Each accelerator sends its `1/EP` share of the
    `B × k` routed token copies, of which `(EP − 1)/EP` leave it. Pipelining: one
    activation hand-off of `B × hidden × activation bytes` between consecutive stages.
    Zero when the model's width or layer count is unknown.
    """
    micro = np.asarray(micro_batch, dtype=float)
    if system.interconnect_bandwidth_bytes_per_s is None:
        return np.zeros_like(micro)
    # Written with np.where so that each field may also be an array, one entry per system.
    link, latency = system.interconnect_bandwidth_bytes_per_s, system.message_latency_s
    message = micro * workload.hidden_size * workload.activation_bytes
    ep = np.asarray(system.expert_parallel, dtype=float)
    expert_layers = np.where(ep > 1, workload.moe_layers, 0)
    allreduces = 2 * np.asarray(workload.num_layers) - expert_layers
    total = allreduces * allreduce_time_s(message, system.tensor_parallel, link, latency)
    routed = micro * workload.experts_per_token * workload.hidden_size * workload.activation_bytes
    total = total + np.where(ep > 1, expert_layers * 2 * (routed / ep * (ep - 1) / ep / link + latency), 0.0)
    stages = np.asarray(system.pipeline_stages, dtype=float)
    total = total + np.where(stages > 1, (stages - 1) * (message / link + latency), 0.0)
    # A model of unknown width or depth sends nothing that roofcalc can size.
    known = (np.asarray(workload.hidden_size) > 0) & (np.asarray(workload.num_layers) > 0)
    return np.where(known, total, 0.0)


def interconnect_flops_per_byte(system: System) -> float | None:
    """Return peak FLOP/s over interconnect bytes/s: 312e12 / 300e9 = 1,040 for an A100 on NVLink 3.

    Tensor-parallel communication stays hidden behind compute while the FLOPs done per
    byte sent exceed this, which for a transformer layer means a hidden size per
    accelerator above about this many (kipply, "Transformer Inference Arithmetic").
    """
    if system.peak_flops_per_s is None or not system.interconnect_bandwidth_bytes_per_s:
        return None
    return system.peak_flops_per_s / system.interconnect_bandwidth_bytes_per_s


def crossover_batch(workload: Workload, system: System) -> float | None:
    """Return the batch at which the linear layers turn from memory- to compute-bound.

    The crossover is the `B` where `2 × B × P_active / F = W(B) / BW`, with `F` and `BW`
    the effective FLOP/s and bandwidth and `W(B)` the weight bytes read
    (`weight_bytes_read`). For a dense model `W` is constant and
    `B = (F / BW) × (W / (2 × P_active))`: the ridge point scaled by bytes per weight
    (989.4 TFLOP/s ÷ 3.35 TB/s ≈ 295 for bf16 on an H100 SXM). For a mixture of experts
    `W(B)` grows with `B`, which pushes the crossover higher. Because `W` is concave with
    `W(0) ≥ 0`, `B / W(B)` increases monotonically, so the root is unique and bisection
    finds it. With pipelining each stage processes a micro-batch of `B / stages`, so the
    crossover in whole batches is that many times larger. Returns None when the FLOP/s
    are unknown. The result is a real number, not rounded to a whole batch.
    """
    root = _micro_crossover(workload, system)
    return None if root is None else root * system.pipeline_stages


def _micro_crossover(workload: Workload, system: System) -> float | None:
    flops = system.effective_flops_per_s
    if flops is None:
        return None
    bandwidth = system.effective_bandwidth_bytes_per_s
    # Batches per byte of weights read at which compute time equals memory time.
    target = flops / (2.0 * workload.active_params * bandwidth)
    if not workload.is_sparse:
        return float(target * (workload.shared_weight_bytes + workload.routed_weight_bytes))

    def batch_per_byte(batch: float) -> float:
        return batch / float(weight_bytes_read(workload, batch))

    all_weights = workload.shared_weight_bytes + workload.routed_weight_bytes
    high = target * all_weights  # the root is no larger: W(B) ≤ all weights
    low = min(1e-9, high)
    if batch_per_byte(high) < target:  # only rounding can get here
        return float(high)
    for _ in range(200):
        middle = math.sqrt(low * high)
        if batch_per_byte(middle) < target:
            low = middle
        else:
            high = middle
        if high - low <= 1e-12 * high:
            break
    return float(high)


def attention_arithmetic_intensity(workload: Workload) -> float:
    """Return the FLOPs per byte of decode attention.

    For standard attention, `4·L·H·d / (2·L·KV·d·bytes)` = `2 × (H / KV) / bytes_per_element`:
    the query heads per KV head at 16-bit. Attention is compute-bound only when this
    exceeds the accelerator's FLOP/s per byte/s, which grouped-query models rarely
    reach; MLA, with 128 heads sharing one latent, comes close.
    """
    flops = sum(group.flops_per_token_pair for group in workload.attention)
    return flops / workload.kv_bytes_per_token_unwindowed


def max_batch(workload: Workload, system: System, context_tokens) -> object:
    """Return the most sequences whose KV cache fits beside the weights.

    Formula: `floor((N × capacity × (1 − reserve) − weight bytes) / KV per sequence)`,
    where the KV cache per sequence is `S × kv_bytes_per_token` without windows. Negative when the weights alone do not fit (see `min_accelerators_for_weights`).
    """
    free = system.usable_memory_bytes - workload.resident_weight_bytes
    return np.floor(free / kv_cache_bytes_per_sequence(workload, context_tokens))


def min_accelerators(workload: Workload, system: System, context_tokens: float, sequences: int = 0) -> int:
    """Return the fewest accelerators whose usable memory fits the weights and `sequences` KV caches.

    Formula: `ceil((weights + sequences × KV per sequence) / (capacity × (1 − reserve)))`.
    """
    per_accelerator = system.memory_capacity_bytes * (1.0 - system.memory_reserve)
    needed = workload.resident_weight_bytes + sequences * float(kv_cache_bytes_per_sequence(workload, context_tokens))
    return max(1, math.ceil(needed / per_accelerator))


def throughput_tokens_per_s(batch, step_latency_s):
    """Return output tokens per second of the whole group: `B / step`."""
    return np.asarray(batch, dtype=float) / step_latency_s


def tokens_per_s_per_user(step_latency_s):
    """Return output tokens per second of one sequence: `1 / step`."""
    return 1.0 / np.asarray(step_latency_s, dtype=float)


def price_per_million_tokens_usd(system: System, seconds_per_token):
    """Return USD per million tokens: `N × price_per_hour / 3600 × seconds_per_token × 10^6`.

    For decode, `seconds_per_token` is `step / B`. None when the price is unknown.
    """
    if system.price_usd_per_hour is None:
        return None
    return system.num_accelerators * system.price_usd_per_hour / 3600.0 * seconds_per_token * 1e6


def energy_per_token_j(system: System, seconds_per_token):
    """Return joules per token at full board power: `N × TDP × seconds_per_token`.

    An upper estimate: a memory-bound step seldom draws the full TDP. None when the
    power is unknown.
    """
    if system.power_w is None:
        return None
    return system.num_accelerators * system.power_w * seconds_per_token


class Prefill(NamedTuple):
    """Prefill of one prompt: its cost, its time and the price of input tokens at full load.

    Fields are scalars or arrays, following the prompt lengths given.
    """

    prompt_tokens: object
    flops: object
    linear_flops: object
    attention_flops: object
    bytes_moved: object  # weights read plus KV cache written
    time_to_first_token_s: object  # None when the FLOP/s are unknown
    bound: object
    flops_per_token: object
    price_per_million_input_tokens_usd: object


def prefill(workload: Workload, system: System, prompt_tokens: int) -> Prefill:
    """Evaluate the prefill of one prompt of `P` tokens.

    FLOPs: `2 × P × P_active` for the linear layers plus, with causal masking,
    `4·L·H·d × P(P + 1)/2` for attention (query `i` attends to `i` positions, or to at
    most `W` in a windowed layer). Bytes: the weights the `P` tokens touch
    (`weight_bytes_read` at batch `P`) plus the KV cache written. Time to first token is
    the roofline time of the linear part plus that of the attention part.

    The price per million input tokens assumes prefill runs compute-bound at full
    batch: `price_per_hour / 3600 × FLOPs_per_token / (peak × MFU) × 10^6`, where
    `FLOPs_per_token = 2 × P_active + 4·L·H·d × (P + 1)/2` without windows; the
    accelerator count cancels.
    """
    prompt_tokens = np.asarray(prompt_tokens, dtype=float)
    weights = weight_bytes_read(workload, prompt_tokens)
    kv_written = kv_cache_bytes_per_sequence(workload, prompt_tokens)
    lin_flops = 2.0 * prompt_tokens * workload.active_params
    attn_flops = sum(
        group.prefill_flops_per_token_pair
        * capped_sum(1, prompt_tokens, prompt_tokens if group.window_tokens is None else group.window_tokens)
        for group in workload.attention
    )
    flops_per_token = (lin_flops + attn_flops) / prompt_tokens

    ttft = None
    bound = None
    price = None
    if system.effective_flops_per_s is not None:
        linear = roofline_time(weights, lin_flops, system)
        attention = roofline_time(kv_written, attn_flops, system)
        communication = communication_time(workload, system, prompt_tokens)
        overhead = system.step_overhead_s + system.layer_overhead_s * workload.num_layers
        ttft = linear.time_s + attention.time_s + communication + overhead
        bound = dominant_bound(linear, attention, communication_s=communication, overhead_s=overhead)
        # At full load every accelerator of every stage computes: N × peak × MFU.
        seconds_per_token = flops_per_token / (system.num_accelerators * system.peak_flops_per_s * system.mfu)
        price = price_per_million_tokens_usd(system, seconds_per_token)
    return Prefill(
        prompt_tokens=prompt_tokens,
        flops=lin_flops + attn_flops,
        linear_flops=lin_flops,
        attention_flops=attn_flops,
        bytes_moved=weights + kv_written,
        time_to_first_token_s=ttft,
        bound=bound,
        flops_per_token=flops_per_token,
        price_per_million_input_tokens_usd=price,
    )


def expected_tokens_per_round(acceptance: float, draft_tokens: int) -> float:
    """Return the tokens a speculative round yields per sequence: `(1 − a^(k+1)) / (1 − a)`.

    Each of the `k` drafted tokens is accepted with probability `a` while all before it
    were, and the verification step adds one token of its own (Leviathan et al., "Fast
    Inference from Transformers via Speculative Decoding", 2023, equation 1). At `a = 1`
    every draft is accepted: `k + 1`.
    """
    if acceptance >= 1.0:
        return float(draft_tokens + 1)
    return (1.0 - acceptance ** (draft_tokens + 1)) / (1.0 - acceptance)


class SpeculativeRound(NamedTuple):
    """One round of speculative decoding: `k` draft steps and one verification step."""

    expected_tokens: float  # per sequence per round
    draft_time_s: object
    verify_time_s: object
    round_time_s: object
    tokens_per_s_per_user: object
    throughput_tokens_per_s: object
    speedup: object  # speculative tokens/s per user ÷ plain tokens/s per user


def speculative_round(workload: Workload, system: System, draft: Workload, batch, context_tokens,
                      draft_tokens: int, acceptance: float, generated_tokens=0) -> SpeculativeRound:
    """Evaluate speculative decoding with a draft model on the same accelerators.

    Round time = `k × draft step(B)` + target verification of `k + 1` tokens per
    sequence. Each sequence gains `(1 − a^(k+1)) / (1 − a)` tokens per round. Batching
    already shares the weight read that speculation amortizes, so the speedup falls as
    the batch grows and the verification step turns compute-bound.
    """
    expected = expected_tokens_per_round(acceptance, draft_tokens)
    draft_step = decode_step(draft, system, batch, context_tokens, generated_tokens).step_latency_s
    verify = decode_step(workload, system, batch, context_tokens, generated_tokens,
                         queries_per_sequence=draft_tokens + 1).step_latency_s
    plain = decode_step(workload, system, batch, context_tokens, generated_tokens).step_latency_s
    if verify is None or draft_step is None:
        return SpeculativeRound(expected, None, None, None, None, None, None)
    round_time = draft_tokens * draft_step + verify
    per_user = expected / round_time
    return SpeculativeRound(expected, draft_tokens * draft_step, verify, round_time, per_user,
                            np.asarray(batch, dtype=float) * per_user, per_user * plain)

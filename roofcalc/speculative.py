"""Speculative decoding results for `calc --draft-model` (or `--mtp-params`)."""

from __future__ import annotations

import math

import numpy as np

from roofcalc import model as roofline
from roofcalc import report
from roofcalc.errors import RoofcalcError
from roofcalc.model import Workload, full_attention
from roofcalc.scenario import Scenario


def mtp_workload(params: float, bytes_per_weight: float) -> Workload:
    """Return a multi-token-prediction head as a dense draft of `params` that keeps no KV cache of its own.

    NOTE: a real MTP module (DeepSeek-V3's is one transformer layer sharing the
    embedding and output head) also attends over a cache. Leaving that out makes the
    draft a little cheaper than it is.
    """
    return Workload(
        resident_weight_bytes=params * bytes_per_weight,
        shared_weight_bytes=params * bytes_per_weight,
        routed_weight_bytes=0.0,
        routed_fraction=1.0,
        active_params=params,
        attention=full_attention(0.0, 0.0),
    )


def evaluate(scenario: Scenario, draft: Workload, draft_label: str, draft_tokens: int, acceptance: float) -> dict:
    """Return the speculative round at the scenario's batch, and the batches at which it pays.

    Speculation usually pays at small batches and stops as batching shares the weight
    read. A mixture of experts can behave the other way: verifying `k + 1` tokens per
    sequence touches more experts at a small batch, so the first and the last paying
    batch are both reported.
    """
    if not 0 <= acceptance <= 1:
        raise RoofcalcError(f"invalid acceptance {acceptance!r}: it must be between 0 and 1")
    request, system, workload = scenario.request, scenario.system, scenario.workload
    context, generated, _, peak_context = report.decode_contexts(scenario)
    batch = request.batch
    at_batch = roofline.speculative_round(workload, system, draft, batch, context, draft_tokens, acceptance, generated)
    if at_batch.round_time_s is None:
        raise RoofcalcError(scenario.null_reasons["compute"])

    # Memory now contains both models and both caches.
    per_sequence = float(roofline.kv_cache_bytes_per_sequence(workload, peak_context)
                         + roofline.kv_cache_bytes_per_sequence(draft, peak_context))
    free = system.usable_memory_bytes - workload.resident_weight_bytes - draft.resident_weight_bytes
    max_batch = int(math.floor(free / per_sequence)) if scenario.memory_known else None
    if max_batch is not None and max_batch < 1:
        raise RoofcalcError(f"the target and the draft {draft_label} leave no room for one sequence",
                            hint="use more --gpus or a smaller draft")

    # Where does speculation stop paying? Evaluate every batch up to the max in one array.
    limit = max_batch if max_batch is not None else max(batch, 1024)
    batches = np.arange(1, limit + 1, dtype=float)
    sweep = roofline.speculative_round(workload, system, draft, batches, context, draft_tokens, acceptance, generated)
    paying = np.nonzero(sweep.speedup > 1.0)[0]
    first_paying = int(batches[paying[0]]) if paying.size else None
    last_paying = int(batches[paying[-1]]) if paying.size else None

    seconds_per_token = float(at_batch.round_time_s) / (batch * at_batch.expected_tokens)
    price = roofline.price_per_million_tokens_usd(system, seconds_per_token)
    energy = roofline.energy_per_token_j(system, seconds_per_token)
    return {
        "draft": draft_label,
        "draft_tokens": draft_tokens,
        "acceptance": acceptance,
        "expected_tokens_per_round": at_batch.expected_tokens,
        "draft_time_s": float(at_batch.draft_time_s),
        "verify_time_s": float(at_batch.verify_time_s),
        "round_time_s": float(at_batch.round_time_s),
        "tokens_per_s_per_user": float(at_batch.tokens_per_s_per_user),
        "throughput_tokens_per_s": float(at_batch.throughput_tokens_per_s),
        "price_per_million_output_tokens_usd": None if price is None else float(price),
        "energy_per_output_token_j": None if energy is None else float(energy),
        "speedup": float(at_batch.speedup),
        "max_batch": max_batch,
        "first_paying_batch": first_paying,
        "last_paying_batch": last_paying,
    }

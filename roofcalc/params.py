"""Parameter counts recomputed from a model's architecture.

The count covers the text model: embeddings, output head, attention, feed-forward or
expert blocks, routers and RMSNorm vectors. Small terms that some families add (biases
on the output projection and the experts, attention sinks) are left out, because they
stay below 0.1% of any catalog model.
"""

from __future__ import annotations

from typing import NamedTuple

from roofcalc.specs import Model


class ParamCount(NamedTuple):
    """A recomputed parameter count."""

    total: float  # every parameter, embeddings included
    active: float  # used per token, input embedding excluded
    embedding: float  # the input embedding table, vocab × hidden


def attention_params(model: Model) -> float:
    """Return the attention parameters of one layer."""
    hidden, heads = model.hidden_size, model.num_attention_heads
    if model.is_mla:
        query_width = heads * (model.qk_nope_head_dim + model.qk_rope_head_dim)
        if model.q_lora_rank:
            query = hidden * model.q_lora_rank + model.q_lora_rank + model.q_lora_rank * query_width
        else:
            query = hidden * query_width
        latent = hidden * (model.kv_lora_rank + model.qk_rope_head_dim) + model.kv_lora_rank
        up_projection = model.kv_lora_rank * heads * (model.qk_nope_head_dim + model.v_head_dim)
        output = heads * model.v_head_dim * hidden
        return query + latent + up_projection + output

    head_dim, kv_heads = model.head_dim, model.num_kv_heads
    weights = hidden * heads * head_dim + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
    biases = (heads + 2 * kv_heads) * head_dim if model.attention_bias else 0
    norms = 2 * head_dim if model.qk_norm else 0
    return weights + biases + norms


def count_params(model: Model) -> ParamCount | None:
    """Recompute total and active parameters from the architecture, or None when dimensions are missing.

    A gated feed-forward block has three `hidden × width` matrices. A MoE layer contains
    `E` routed experts, the shared experts and a `hidden × E` router, and a token uses
    `k` routed experts. Layers before `first_dense_layers`, and those between MoE layers
    when `moe_layer_interval` > 1, are dense.
    """
    needed = (model.num_layers, model.hidden_size, model.num_attention_heads, model.vocab_size)
    if any(value is None for value in needed) or not model.has_attention_dims:
        return None
    hidden, layers = model.hidden_size, model.num_layers
    moe_layers = model.moe_layers
    dense_layers = layers - moe_layers
    if dense_layers and model.intermediate_size is None:
        return None
    if moe_layers and model.moe_intermediate_size is None:
        return None

    per_layer = attention_params(model) + model.norms_per_layer * hidden
    dense_block = 3 * hidden * model.intermediate_size if dense_layers else 0
    expert = 3 * hidden * model.moe_intermediate_size if moe_layers else 0
    shared_width = model.shared_expert_intermediate_size or model.moe_intermediate_size
    shared_block = model.num_shared_experts * 3 * hidden * shared_width if moe_layers else 0
    router = hidden * model.num_experts if moe_layers else 0

    embedding = model.vocab_size * hidden
    head = 0 if model.tie_word_embeddings else embedding
    total = (
        layers * per_layer
        + dense_layers * dense_block
        + moe_layers * ((model.num_experts or 0) * expert + shared_block + router)
        + embedding + head + hidden  # the final norm
    )
    unused_experts = moe_layers * ((model.num_experts or 0) - (model.experts_per_token or 0)) * expert
    # With tied embeddings the table is read as the output head, so it counts as active.
    active = total - unused_experts - (0 if model.tie_word_embeddings else embedding)
    return ParamCount(float(total), float(active), float(embedding))

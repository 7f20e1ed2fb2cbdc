"""Accelerator and model specifications as immutable records in SI units.

The records are NamedTuples rather than dataclasses because defining a dataclass costs
about a millisecond at import, and a one-off `calc` should start nearly as fast as Python.
"""

from __future__ import annotations

from typing import NamedTuple


class Hardware(NamedTuple):
    """One accelerator, with each figure per accelerator."""

    id: str
    name: str
    vendor: str
    memory_capacity_bytes: float
    memory_bandwidth_bytes_per_s: float
    dense_flops_per_s: dict[str, float]  # data type -> dense peak FLOP/s (int8: OP/s)
    interconnect: str | None = None
    interconnect_bandwidth_bytes_per_s: float | None = None  # one direction
    tdp_w: float | None = None
    max_per_node: int | None = None
    price_usd_per_hour: float | None = None
    price_date: str | None = None
    memory_type: str | None = None
    aliases: tuple[str, ...] = ()
    notes: str | None = None
    sources: dict[str, str] | None = None  # value group -> document
    origin: str = ""  # the file the entry was read from, or "command line"


class Model(NamedTuple):
    """One language model's parameters and attention dimensions."""

    id: str
    name: str
    total_params: float
    embedding_params: float = 0.0
    tie_word_embeddings: bool = False
    active_params: float | None = None  # input embedding excluded; None for dense models
    active_params_published: float | None = None
    params_convention: str = ""
    family: str | None = None
    num_layers: int | None = None
    hidden_size: int | None = None
    num_attention_heads: int | None = None
    num_kv_heads: int | None = None
    head_dim: int | None = None
    intermediate_size: int | None = None
    num_experts: int | None = None
    experts_per_token: int | None = None
    num_shared_experts: int = 0
    moe_intermediate_size: int | None = None
    vocab_size: int | None = None
    max_context_tokens: int | None = None
    kv_elements_per_token: float | None = None
    default_weight_dtype: str = "bf16"
    unquantized_params: float = 0.0
    first_dense_layers: int = 0
    moe_layer_interval: int = 1
    shared_expert_intermediate_size: int | None = None
    attention_bias: bool = False
    qk_norm: bool = False
    norms_per_layer: int = 2
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int | None = None
    qk_nope_head_dim: int | None = None
    v_head_dim: int | None = None
    q_lora_rank: int | None = None
    sliding_window_tokens: int | None = None
    sliding_window_layers: int = 0
    attention_chunked: bool = False
    aliases: tuple[str, ...] = ()
    notes: str | None = None
    sources: dict[str, str] | None = None
    origin: str = ""

    @property
    def is_mla(self) -> bool:
        return self.kv_lora_rank is not None

    @property
    def moe_layers(self) -> int:
        """Layers with a mixture-of-experts block: `(layers − first dense) // interval`."""
        if not self.num_experts or self.num_layers is None:
            return 0
        return (self.num_layers - self.first_dense_layers) // self.moe_layer_interval

    @property
    def has_attention_dims(self) -> bool:
        if self.is_mla:
            dims = (self.num_layers, self.num_attention_heads, self.qk_rope_head_dim, self.qk_nope_head_dim, self.v_head_dim)
        else:
            dims = (self.num_layers, self.num_attention_heads, self.num_kv_heads, self.head_dim)
        return all(value is not None for value in dims)

    @property
    def read_params(self) -> float:
        """Parameters a decode step can read: all but the input embedding, unless it is tied to the head."""
        if self.tie_word_embeddings:
            return self.total_params
        return self.total_params - self.embedding_params

    @property
    def active_params_per_token(self) -> float:
        """Parameters multiplied per token, input embedding excluded."""
        if self.active_params is not None:
            return self.active_params
        return self.read_params

    @property
    def kv_elements_per_layer(self) -> float | None:
        """KV-cache elements one token holds in one layer.

        Multi-head, grouped-query and multi-query attention cache a key and a value per
        KV head: `2 × kv_heads × head_dim`. Multi-head latent attention caches the
        compressed latent and the decoupled RoPE key: `kv_lora_rank + qk_rope_head_dim`
        (DeepSeek-V2 paper, section 2.1).
        """
        if not self.has_attention_dims:
            return None
        if self.is_mla:
            return float(self.kv_lora_rank + self.qk_rope_head_dim)
        return 2.0 * self.num_kv_heads * self.head_dim

    @property
    def kv_elements(self) -> float | None:
        """KV-cache elements per token summed over all layers, ignoring windows, or the given value."""
        if self.kv_elements_per_token is not None:
            return self.kv_elements_per_token
        per_layer = self.kv_elements_per_layer
        return None if per_layer is None else per_layer * self.num_layers

    @property
    def attention_flops_per_layer_pair(self) -> float | None:
        """Decode attention FLOPs of one query token against one cached token in one layer.

        Standard attention: `4 × H × head_dim`, two FLOPs per multiply-add for the scores
        and again for the weighted values. MLA in the absorbed form that decode engines
        use scores against the latent and the RoPE key and sums latents:
        `2 × H × (kv_lora_rank + qk_rope_head_dim) + 2 × H × kv_lora_rank`.
        """
        if not self.has_attention_dims:
            return None
        heads = self.num_attention_heads
        if self.is_mla:
            return 2.0 * heads * (2 * self.kv_lora_rank + self.qk_rope_head_dim)
        return 4.0 * heads * self.head_dim

    @property
    def prefill_attention_flops_per_layer_pair(self) -> float | None:
        """Prefill attention FLOPs per token pair in one layer.

        Prefill runs MLA without absorption, on up-projected keys and values:
        `2 × H × (qk_nope + qk_rope) + 2 × H × v_head_dim`. Standard attention is as in decode.
        """
        if self.is_mla and self.has_attention_dims:
            heads = self.num_attention_heads
            return 2.0 * heads * (self.qk_nope_head_dim + self.qk_rope_head_dim) + 2.0 * heads * self.v_head_dim
        return self.attention_flops_per_layer_pair

    @property
    def attention_flops_per_token_pair(self) -> float | None:
        """Decode attention FLOPs of one query token against one cached token, all layers."""
        per_layer = self.attention_flops_per_layer_pair
        return None if per_layer is None else per_layer * self.num_layers

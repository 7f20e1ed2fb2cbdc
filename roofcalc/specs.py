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
    aliases: tuple[str, ...] = ()
    notes: str | None = None
    sources: dict[str, str] | None = None
    origin: str = ""

    @property
    def has_attention_dims(self) -> bool:
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
    def kv_elements(self) -> float | None:
        """KV-cache elements per token: `2 × layers × kv_heads × head_dim`, or the given value."""
        if self.kv_elements_per_token is not None:
            return self.kv_elements_per_token
        if self.has_attention_dims:
            return 2.0 * self.num_layers * self.num_kv_heads * self.head_dim
        return None

    @property
    def attention_flops_per_token_pair(self) -> float | None:
        """Attention FLOPs of one query token against one cached token: `4 × L × H × d_head`."""
        if self.has_attention_dims:
            return 4.0 * self.num_layers * self.num_attention_heads * self.head_dim
        return None

"""Import of a Hugging Face `config.json` into a roofcalc model table.

Reads the file from disk only. The result is the same table a model TOML file holds, so
it goes through the same validation, and `to_toml` writes it out for the user catalog.
Parameter counts are recomputed from the dimensions by `roofcalc.params`.
"""

from __future__ import annotations

import json
import math
import os
import re

from roofcalc import params
from roofcalc.catalog import model_from_dict
from roofcalc.errors import CatalogError

SUPPORTED_TYPES = (
    "llama", "mistral", "mixtral", "qwen2", "qwen3", "qwen3_moe", "deepseek_v2", "deepseek_v3", "kimi_k2",
    "gpt_oss", "gemma2", "gemma3", "gemma3_text", "llama4", "llama4_text", "phi3",
)
# Families whose q, k and v projections carry biases even when config.json does not say so.
BIASED_ATTENTION = {"qwen2"}
QK_NORM = {"qwen3", "qwen3_moe", "gemma3", "gemma3_text"}
FOUR_NORMS = {"gemma2", "gemma3", "gemma3_text"}
MLA_TYPES = {"deepseek_v2", "deepseek_v3", "kimi_k2"}
# Multimodal configs keep the language model's dimensions in text_config.
NESTED_TEXT = {"gemma3": "gemma3_text", "llama4": "llama4_text"}


def read_config(path: str) -> dict:
    """Read a config.json file, raising CatalogError with the path on every failure."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found", hint="pass the path of a Hugging Face config.json") from None
    except IsADirectoryError:
        raise CatalogError(f"{path}: is a directory", hint="pass the config.json file inside it") from None
    except OSError as error:
        raise CatalogError(f"{path}: cannot be read: {error.strerror}", hint="check the path and its permissions") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CatalogError(f"{path}: invalid JSON: {error}", hint="pass a Hugging Face config.json") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a JSON object at the top level", hint="pass a Hugging Face config.json")
    return data


def default_id(path: str) -> str:
    """Derive a catalog id from the folder that contains config.json, such as `llama-3.1-8b`."""
    folder = os.path.basename(os.path.dirname(os.path.abspath(path)))
    candidate = re.sub(r"[^a-z0-9.\-]+", "-", folder.lower()).strip("-.")
    return candidate or "imported-model"


class _Fields:
    """Typed access to config.json fields, raising an error that names the missing field."""

    def __init__(self, data: dict, path: str, model_type: str) -> None:
        self.data, self.path, self.model_type = data, path, model_type

    def get(self, *names, default=None):
        for name in names:
            value = self.data.get(name)
            if value is not None:
                return value
        return default

    def name_of(self, *names) -> str:
        return next((name for name in names if self.data.get(name) is not None), names[0])

    def integer(self, *names, default=None, minimum: int = 1) -> int:
        """Return the first present field of `names` as a whole number of at least `minimum`.

        Raises CatalogError naming the field when it is missing (and has no default),
        not a number, not whole, not finite or below the minimum.
        """
        value = self.get(*names)
        name = self.name_of(*names)
        if value is None:
            if default is not None:
                return default
            raise CatalogError(
                f"{self.path}: missing field {name!r} for model_type {self.model_type!r}",
                hint=f"add {name} to the file, or write a model TOML file and pass --model-file",
            )
        whole = isinstance(value, int) or (isinstance(value, float) and math.isfinite(value) and value.is_integer())
        if isinstance(value, bool) or not whole:
            raise CatalogError(f"{self.path}: field {name!r} must be a whole number, found {value!r}",
                               hint="fix the value in config.json")
        if value < minimum:
            raise CatalogError(f"{self.path}: field {name!r} must be at least {minimum}, found {value!r}",
                               hint="fix the value in config.json")
        return int(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise CatalogError(f"{self.path}: field {name!r} must be true or false, found {value!r}", hint="fix the value in config.json")
        return value

    def sequence(self, name: str):
        value = self.data.get(name)
        if value is not None and not isinstance(value, list):
            raise CatalogError(f"{self.path}: field {name!r} must be a list, found {value!r}", hint="fix the value in config.json")
        return value


def _windowed_layers(fields: _Fields, model_type: str, layers: int, window) -> int:
    """Return how many layers use the sliding window (or chunk), from layer_types or the family's pattern."""
    layer_types = fields.sequence("layer_types")
    if layer_types:
        return sum(1 for kind in layer_types[:layers] if kind in ("sliding_attention", "chunked_attention"))
    if model_type in ("gemma2", "gpt_oss"):
        return math.ceil(layers / 2)  # local attention on even-numbered layers
    if model_type in ("gemma3", "gemma3_text"):
        pattern = fields.integer("sliding_window_pattern", default=6)
        return layers - layers // pattern  # every pattern-th layer is global
    if model_type in ("llama4", "llama4_text"):
        rope_layers = fields.sequence("no_rope_layers")
        if rope_layers:
            return sum(1 for uses_rope in rope_layers[:layers] if uses_rope)  # RoPE layers are the chunked ones
        return layers - layers // 4
    if model_type == "qwen2" or model_type.startswith("qwen3"):
        if not fields.flag("use_sliding_window", False):
            return 0
        return max(layers - fields.integer("max_window_layers", default=layers, minimum=0), 0)
    if model_type == "phi3":
        # NOTE: Phi-3 mini 4k's config sets sliding_window 2047 without naming the layers
        # that use it, and serving engines disagree on applying it. Like the catalog entry,
        # the import ignores it, so the cache size is an upper bound.
        return 0
    return layers  # mistral, mixtral: the window applies to every layer


def model_table(config: dict, path: str, model_id: str | None = None) -> dict:
    """Convert a config.json object into a model table in roofcalc's catalog format."""
    model_type = config.get("model_type")
    if model_type not in SUPPORTED_TYPES:
        raise CatalogError(
            f"{path}: unsupported model_type {model_type!r}",
            hint=f"roofcalc imports {', '.join(SUPPORTED_TYPES)}; for another model write a TOML file and pass --model-file",
        )
    data = config
    if model_type in NESTED_TEXT and isinstance(config.get("text_config"), dict):
        data = {**config["text_config"]}
        data.setdefault("tie_word_embeddings", config.get("tie_word_embeddings"))
        nested = data.get("model_type") or NESTED_TEXT[model_type]
        if nested != NESTED_TEXT[model_type]:
            raise CatalogError(f"{path}: text_config has model_type {nested!r}, not {NESTED_TEXT[model_type]!r}",
                               hint="write a model TOML file and pass --model-file")
        model_type = nested
    fields = _Fields(data, path, model_type)

    layers = fields.integer("num_hidden_layers")
    hidden = fields.integer("hidden_size")
    heads = fields.integer("num_attention_heads")
    table: dict = {
        "id": model_id or default_id(path),
        "name": str(config.get("_name_or_path") or model_id or default_id(path)),
        "family": model_type,
        "num_layers": layers,
        "hidden_size": hidden,
        "num_attention_heads": heads,
        "vocab_size": fields.integer("vocab_size"),
        "tie_word_embeddings": fields.flag("tie_word_embeddings", model_type.startswith("gemma")),
    }
    if fields.get("max_position_embeddings") is not None:
        table["max_context_tokens"] = fields.integer("max_position_embeddings")

    if model_type in MLA_TYPES:
        for key in ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim"):
            table[key] = fields.integer(key)
        if fields.get("q_lora_rank"):
            table["q_lora_rank"] = fields.integer("q_lora_rank")
    else:
        table["num_kv_heads"] = fields.integer("num_key_value_heads", default=heads)
        table["head_dim"] = fields.integer("head_dim", default=max(hidden // heads, 1))
    if fields.flag("attention_bias", model_type in BIASED_ATTENTION):
        table["attention_bias"] = True
    if model_type in QK_NORM:
        table["qk_norm"] = True
    if model_type in FOUR_NORMS:
        table["norms_per_layer"] = 4

    _add_feed_forward(table, fields, model_type, layers)

    window_field = "attention_chunk_size" if model_type.startswith("llama4") else "sliding_window"
    window = fields.integer(window_field) if fields.get(window_field) is not None else None
    if model_type.startswith("llama4") and window:
        table["attention_chunked"] = True
    windowed = _windowed_layers(fields, model_type, layers, window) if window else 0
    if window and windowed:
        table["sliding_window_tokens"] = window
        table["sliding_window_layers"] = windowed
    table = {key: value for key, value in table.items() if value is not None}

    table.update(_weight_format(config, path))

    return _add_counts(table, path)


def _weight_format(config: dict, path: str) -> dict:
    """Return the released weight format from `quantization_config`, for the methods roofcalc supports."""
    quantization = config.get("quantization_config")
    if quantization is None:
        return {}
    if not isinstance(quantization, dict):
        raise CatalogError(f"{path}: field 'quantization_config' must be an object, found {quantization!r}",
                           hint="fix the value in config.json")
    method = str(quantization.get("quant_method", "")).lower()
    if method in ("mxfp4", "fp8"):
        return {"default_weight_dtype": method}
    raise CatalogError(
        f"{path}: quantization method {method!r} is not supported by the import",
        hint="import the unquantized model's config.json and pass --weight-dtype, such as int4-g128",
    )


def _add_feed_forward(table: dict, fields: _Fields, model_type: str, layers: int) -> None:
    """Fill in the dense and expert feed-forward widths and the expert layout."""
    experts = fields.integer("n_routed_experts", "num_local_experts", "num_experts", default=0, minimum=0)
    if not experts:
        table["intermediate_size"] = fields.integer("intermediate_size")
        return
    table["num_experts"] = experts
    table["experts_per_token"] = fields.integer("num_experts_per_tok")
    if fields.sequence("mlp_only_layers"):
        raise CatalogError(f"{fields.path}: mlp_only_layers lists dense layers among the MoE layers, which the import does not model",
                           hint="write a model TOML file and pass --model-file")
    if model_type in ("mixtral", "gpt_oss"):
        table["moe_intermediate_size"] = fields.integer("intermediate_size")  # every layer is MoE
        return
    if model_type.startswith("llama4"):
        table["moe_intermediate_size"] = fields.integer("intermediate_size")
        table["num_shared_experts"] = 1  # Llama 4 adds one shared expert of the same width
        interval = fields.integer("interleave_moe_layer_step", default=1)
        table["moe_layer_interval"] = interval
        if interval > 1:
            table["intermediate_size"] = fields.integer("intermediate_size_mlp")
        return
    table["moe_intermediate_size"] = fields.integer("moe_intermediate_size")
    shared = fields.integer("n_shared_experts", default=0, minimum=0)
    if shared:
        table["num_shared_experts"] = shared
    first_dense = fields.integer("first_k_dense_replace", default=0, minimum=0)
    sparse_step = fields.integer("moe_layer_freq", "decoder_sparse_step", default=1)
    if first_dense:
        table["first_dense_layers"] = first_dense
    if sparse_step > 1:
        table["moe_layer_interval"] = sparse_step
    if first_dense or sparse_step > 1:
        table["intermediate_size"] = fields.integer("intermediate_size")


def _add_counts(table: dict, path: str) -> dict:
    """Recompute total and active parameters and add the bookkeeping keys the format requires."""
    # A draft with placeholder counts lets the catalog validator check the dimensions first.
    draft = {**table, "total_params": 1.0, "params_convention": "-",
             "sources": {"params": "-", "architecture": "-", "context": "-"}}
    if "num_experts" in draft:
        draft["active_params"] = 1.0
    count = params.count_params(model_from_dict(draft, path))
    if count is None:
        raise CatalogError(f"{path}: the dimensions are not enough to count parameters", hint="write a model TOML file and pass --model-file")

    table["total_params"] = int(count.total)
    table["embedding_params"] = int(count.embedding)
    if "num_experts" in table:
        table["active_params"] = int(count.active)
    if table.get("default_weight_dtype") == "mxfp4":
        expert_params = _expert_params(table)
        table["unquantized_params"] = int(count.total - expert_params)
    table["params_convention"] = (
        "Recomputed by roofcalc from config.json. total_params includes the embeddings and the output head; "
        "active_params, when present, excludes the input embedding. Small terms such as output-projection "
        "and expert biases are left out."
    )
    name = os.path.abspath(path)
    table["sources"] = {"params": f"recomputed from {name}", "architecture": name}
    if "max_context_tokens" in table:
        table["sources"]["context"] = f"{name}: max_position_embeddings"
    return table


def _expert_params(table: dict) -> float:
    """Return the parameters of the routed experts, the part MXFP4 checkpoints quantize."""
    moe_layers = (table["num_layers"] - table.get("first_dense_layers", 0)) // table.get("moe_layer_interval", 1)
    return moe_layers * table["num_experts"] * 3 * table["hidden_size"] * table["moe_intermediate_size"]


def load_model_config(path: str, model_id: str | None = None):
    """Read a config.json and return a validated Model."""
    return model_from_dict(model_table(read_config(path), path, model_id), path)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 100_000 else str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def to_toml(table: dict) -> str:
    """Write a model table as TOML, with top-level keys before the [sources] table."""
    lines = [f"{key} = {_toml_value(value)}" for key, value in table.items() if not isinstance(value, dict)]
    for key, value in table.items():
        if isinstance(value, dict):
            lines.append("")
            lines.append(f"[{key}]")
            lines.extend(f"{sub_key} = {_toml_value(sub_value)}" for sub_key, sub_value in value.items())
    return "\n".join(lines) + "\n"

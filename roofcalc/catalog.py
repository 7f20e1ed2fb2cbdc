"""Loading and validation of the accelerator and model catalogs (one TOML file per entry).

Search order, later entries replacing earlier ones with the same id: the catalog shipped
with roofcalc, then `$XDG_CONFIG_HOME/roofcalc/{hardware,models}/` (default
`~/.config/roofcalc/...`), then files named with `--hardware-file` or `--model-file`.
The file format is described in docs/catalog-format.md.
"""

from __future__ import annotations

import math
import os
import re
import sys
from typing import Any, Callable, NamedTuple


from roofcalc.errors import CatalogError, NotFoundError, RoofcalcError
from roofcalc.specs import Hardware, Model

HARDWARE = "hardware"
MODELS = "models"
FORMAT_DOC = "docs/catalog-format.md"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9.\-]*$")
FLOP_DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")


class Key(NamedTuple):
    """One allowed key of a catalog file: its type and whether it must be present."""

    kind: str  # "str", "number", "int", "bool", "str_list", "number_table", "str_table"
    required: bool = False
    positive: bool = True  # numbers must be > 0 (a zero or negative figure is impossible)


HARDWARE_KEYS = {
    "id": Key("str", required=True),
    "name": Key("str", required=True),
    "vendor": Key("str", required=True),
    "aliases": Key("str_list"),
    "memory_capacity_gb": Key("number"),
    "memory_capacity_gib": Key("number"),
    "memory_type": Key("str"),
    "memory_bandwidth_tb_per_s": Key("number", required=True),
    "dense_tflops": Key("number_table"),
    "interconnect": Key("str"),
    "interconnect_bandwidth_gb_per_s": Key("number"),
    "tdp_w": Key("number"),
    "max_per_node": Key("int"),
    "price_usd_per_hour": Key("number"),
    "price_date": Key("str"),
    "notes": Key("str"),
    "sources": Key("str_table", required=True),
}
HARDWARE_SOURCES = {
    "memory": ("memory_capacity_gb", "memory_capacity_gib"),
    "bandwidth": ("memory_bandwidth_tb_per_s",),
    "dense_tflops": ("dense_tflops",),
    "interconnect": ("interconnect_bandwidth_gb_per_s",),
    "tdp": ("tdp_w",),
    "price": ("price_usd_per_hour",),
}

MODEL_KEYS = {
    "id": Key("str", required=True),
    "name": Key("str", required=True),
    "family": Key("str"),
    "aliases": Key("str_list"),
    "total_params": Key("number", required=True),
    "embedding_params": Key("number", positive=False),
    "tie_word_embeddings": Key("bool"),
    "active_params": Key("number"),
    "active_params_published": Key("number"),
    "params_convention": Key("str", required=True),
    "num_layers": Key("int"),
    "hidden_size": Key("int"),
    "num_attention_heads": Key("int"),
    "num_kv_heads": Key("int"),
    "head_dim": Key("int"),
    "intermediate_size": Key("int"),
    "num_experts": Key("int"),
    "experts_per_token": Key("int"),
    "num_shared_experts": Key("int", positive=False),
    "moe_intermediate_size": Key("int"),
    "vocab_size": Key("int"),
    "max_context_tokens": Key("int"),
    "kv_elements_per_token": Key("number"),
    "default_weight_dtype": Key("str"),
    "unquantized_params": Key("number", positive=False),
    "first_dense_layers": Key("int", positive=False),
    "moe_layer_interval": Key("int"),
    "shared_expert_intermediate_size": Key("int"),
    "attention_bias": Key("bool"),
    "qk_norm": Key("bool"),
    "norms_per_layer": Key("int", positive=False),
    "kv_lora_rank": Key("int"),
    "qk_rope_head_dim": Key("int"),
    "qk_nope_head_dim": Key("int"),
    "v_head_dim": Key("int"),
    "q_lora_rank": Key("int"),
    "sliding_window_tokens": Key("int"),
    "sliding_window_layers": Key("int"),
    "attention_chunked": Key("bool"),
    "notes": Key("str"),
    "sources": Key("str_table", required=True),
}
MLA_KEYS = ("kv_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")
MODEL_SOURCES = {
    "params": ("total_params",),
    "architecture": ("num_layers", "hidden_size", "num_attention_heads", "num_kv_heads", "head_dim", "num_experts"),
    "context": ("max_context_tokens",),
}


def _fail(path: str, key: str | None, problem: str, hint: str) -> CatalogError:
    where = f"{path}: key {key!r}" if key else f"{path}"
    return CatalogError(f"{where}: {problem}", hint=hint)


def _check_number(path, key: str, value: Any, positive: bool, integer: bool) -> None:
    expected = "an integer" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(path, key, f"expected {expected}, found {type(value).__name__} {value!r}", f"write {key} = <{expected[3:] if integer else 'number'}>")
    if integer and not isinstance(value, int):
        raise _fail(path, key, f"expected an integer, found {value!r}", f"write a whole number for {key}")
    if not math.isfinite(value):
        raise _fail(path, key, f"{value!r} is not a finite number", f"write a finite number for {key}")
    if abs(value) > 1e30 or 0 < abs(value) < 1e-30:
        raise _fail(path, key, f"{value!r} is out of range", f"write {key} in the unit its name gives")
    if positive and value <= 0:
        raise _fail(path, key, f"{value!r} is impossible: it must be greater than zero", f"fix {key}, or leave it out if the figure is not published")
    if not positive and value < 0:
        raise _fail(path, key, f"{value!r} is impossible: it must be zero or more", f"fix {key}")


def _validate_keys(path, data: dict, keys: dict[str, Key], allowed_table_keys: dict[str, tuple[str, ...]]) -> None:
    for key in data:
        if key not in keys:
            import difflib  # slow to import, and needed only for the hint

            close = difflib.get_close_matches(key, keys, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the allowed keys are listed in {FORMAT_DOC}"
            raise _fail(path, key, "unknown key", hint)
    for key, spec in keys.items():
        if key not in data:
            if spec.required:
                raise _fail(path, key, "missing required key", f"add {key} (see {FORMAT_DOC})")
            continue
        value = data[key]
        if spec.kind == "str" and not (isinstance(value, str) and value.strip()):
            raise _fail(path, key, f"expected a non-empty string, found {value!r}", f'write {key} = "..."')
        if spec.kind == "bool" and not isinstance(value, bool):
            raise _fail(path, key, f"expected true or false, found {value!r}", f"write {key} = true or false")
        if spec.kind in ("number", "int"):
            _check_number(path, key, value, spec.positive, spec.kind == "int")
        if spec.kind == "str_list" and not (isinstance(value, list) and all(isinstance(item, str) for item in value)):
            raise _fail(path, key, f"expected a list of strings, found {value!r}", f'write {key} = ["...", "..."]')
        if spec.kind in ("number_table", "str_table"):
            if not isinstance(value, dict):
                raise _fail(path, key, f"expected a table, found {value!r}", f"write a [{key}] table")
            allowed = allowed_table_keys[key]
            for sub_key, sub_value in value.items():
                if sub_key not in allowed:
                    import difflib

                    close = difflib.get_close_matches(sub_key, allowed, n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(allowed)}"
                    raise _fail(path, f"{key}.{sub_key}", "unknown key", hint)
                if spec.kind == "number_table":
                    _check_number(path, f"{key}.{sub_key}", sub_value, True, False)
                elif not (isinstance(sub_value, str) and sub_value.strip()):
                    raise _fail(path, f"{key}.{sub_key}", f"expected a non-empty string, found {sub_value!r}", "name the document the value comes from")


def _validate_sources(path, data: dict, groups: dict[str, tuple[str, ...]]) -> None:
    sources = data["sources"]
    for group, keys in groups.items():
        present = [key for key in keys if key in data]
        if present and group not in sources:
            raise _fail(path, f"sources.{group}", f"missing: {present[0]} has no source", f'add {group} = "<document the value comes from>" to [sources]')


def _validate_id(path, data: dict, expected_id: str | None) -> None:
    entry_id = data["id"]
    if not ID_PATTERN.match(entry_id):
        raise _fail(path, "id", f"invalid id {entry_id!r}", "use lowercase letters, digits, '.' and '-'")
    if expected_id is not None and entry_id != expected_id:
        raise _fail(path, "id", f"id {entry_id!r} differs from the file name {expected_id!r}", f"rename the file to {entry_id}.toml or change the id")


def read_toml(path: str) -> dict:
    """Read a TOML file, raising CatalogError with the file name for every failure."""
    # Imported here: a calc whose files are in the parse cache never needs it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise CatalogError(f"{path}: file not found", hint="check the path") from None
    except OSError as error:
        raise CatalogError(f"{path}: cannot be read: {error.strerror}", hint="check the path and its permissions") from None
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: invalid TOML: not UTF-8 text ({error.reason} at byte {error.start})", hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{path}: invalid TOML: {error}", hint="fix the syntax at the line named") from None


def hardware_from_dict(data: dict, path: str, expected_id: str | None = None) -> Hardware:
    """Validate one accelerator table and convert it to SI units (see docs/catalog-format.md)."""
    _validate_keys(path, data, HARDWARE_KEYS, {"dense_tflops": FLOP_DTYPES, "sources": tuple(HARDWARE_SOURCES)})
    _validate_id(path, data, expected_id)
    has_gb = "memory_capacity_gb" in data
    has_gib = "memory_capacity_gib" in data
    if has_gb == has_gib:
        problem = "both given" if has_gb else "missing"
        raise _fail(path, "memory_capacity_gb", f"memory capacity {problem}", "give exactly one of memory_capacity_gb (10^9 bytes) or memory_capacity_gib (2^30 bytes)")
    if "price_usd_per_hour" in data and "price_date" not in data:
        raise _fail(path, "price_date", "missing: a price needs the month it was seen", 'add price_date = "YYYY-MM"')
    if "price_date" in data and not re.fullmatch(r"\d{4}-\d{2}", data["price_date"]):
        raise _fail(path, "price_date", f"invalid date {data['price_date']!r}", 'write it as "YYYY-MM"')
    _validate_sources(path, data, HARDWARE_SOURCES)

    memory = data["memory_capacity_gb"] * 1e9 if has_gb else data["memory_capacity_gib"] * 2.0**30
    interconnect = data.get("interconnect_bandwidth_gb_per_s")
    return Hardware(
        id=data["id"],
        name=data["name"],
        vendor=data["vendor"],
        memory_capacity_bytes=float(memory),
        memory_bandwidth_bytes_per_s=data["memory_bandwidth_tb_per_s"] * 1e12,
        dense_flops_per_s={dtype: value * 1e12 for dtype, value in data.get("dense_tflops", {}).items()},
        interconnect=data.get("interconnect"),
        interconnect_bandwidth_bytes_per_s=interconnect * 1e9 if interconnect is not None else None,
        tdp_w=data.get("tdp_w"),
        max_per_node=data.get("max_per_node"),
        price_usd_per_hour=data.get("price_usd_per_hour"),
        price_date=data.get("price_date"),
        memory_type=data.get("memory_type"),
        aliases=tuple(alias.lower() for alias in data.get("aliases", ())),
        notes=data.get("notes"),
        sources=dict(data["sources"]),
        origin=str(path),
    )


def model_from_dict(data: dict, path: str, expected_id: str | None = None) -> Model:
    """Validate one model table and check that its parameter counts are consistent."""
    _validate_keys(path, data, MODEL_KEYS, {"sources": tuple(MODEL_SOURCES)})
    _validate_id(path, data, expected_id)
    _validate_sources(path, data, MODEL_SOURCES)
    total = data["total_params"]
    embedding = data.get("embedding_params", 0)
    if embedding >= total:
        raise _fail(path, "embedding_params", f"{embedding:g} is not less than total_params {total:g}", "embedding_params is the input table alone, vocab_size × hidden_size")
    active = data.get("active_params")
    if active is not None and active > total:
        raise _fail(path, "active_params", f"{active:g} exceeds total_params {total:g}", "active parameters are a subset of the total; check both figures")

    experts = data.get("num_experts")
    per_token = data.get("experts_per_token")
    if experts is not None:
        if per_token is None:
            raise _fail(path, "experts_per_token", "missing: num_experts is given", "add experts_per_token, the routed experts each token uses")
        if per_token > experts:
            raise _fail(path, "experts_per_token", f"{per_token} exceeds num_experts {experts}", "experts_per_token counts routed experts, at most num_experts")
        if active is None:
            raise _fail(path, "active_params", "missing: a mixture-of-experts model needs its active parameters", "add active_params, input embedding excluded")
    elif per_token is not None:
        raise _fail(path, "num_experts", "missing: experts_per_token is given", "add num_experts, the routed experts per MoE layer")

    heads, kv_heads = data.get("num_attention_heads"), data.get("num_kv_heads")
    if heads is not None and kv_heads is not None and heads % kv_heads != 0:
        raise _fail(path, "num_kv_heads", f"{kv_heads} does not divide num_attention_heads {heads}", "check both head counts in the model's config.json")
    is_mla = any(key in data for key in MLA_KEYS)
    if is_mla:
        dims = ("num_layers", "num_attention_heads", *MLA_KEYS)
    else:
        dims = ("num_layers", "num_attention_heads", "num_kv_heads", "head_dim")
    if is_mla and not all(key in data for key in MLA_KEYS):
        missing = next(key for key in MLA_KEYS if key not in data)
        raise _fail(path, missing, "missing: multi-head latent attention needs all four MLA widths", f"give {', '.join(MLA_KEYS)}")
    if "kv_elements_per_token" in data and any(key in data for key in dims[2:]):
        raise _fail(path, "kv_elements_per_token", "given beside the attention dimensions, which size the cache themselves",
                    "remove kv_elements_per_token, or the attention dimensions")
    if "kv_elements_per_token" not in data and not all(key in data for key in dims):
        missing = next(key for key in dims if key not in data)
        raise _fail(path, missing, "missing: the KV cache cannot be sized", f"give {', '.join(dims)}, or kv_elements_per_token")

    window, windowed = data.get("sliding_window_tokens"), data.get("sliding_window_layers")
    if (window is None) != (windowed is None):
        key = "sliding_window_layers" if windowed is None else "sliding_window_tokens"
        raise _fail(path, key, "missing: a window needs both its size and its layer count", "give sliding_window_tokens and sliding_window_layers")
    layers = data.get("num_layers")
    if windowed is not None and layers is not None and windowed > layers:
        raise _fail(path, "sliding_window_layers", f"{windowed} exceeds num_layers {layers}", "count only the windowed layers")
    if layers is not None and data.get("first_dense_layers", 0) >= layers:
        raise _fail(path, "first_dense_layers", f"{data['first_dense_layers']} leaves no MoE layer of {layers}", "count only the leading dense layers")
    dtype = data.get("default_weight_dtype")
    if dtype is not None:
        from roofcalc import dtypes

        try:
            dtypes.normalize(dtype)
        except RoofcalcError as error:
            raise _fail(path, "default_weight_dtype", error.message, error.hint) from None
    if data.get("unquantized_params", 0) > total:
        raise _fail(path, "unquantized_params", f"{data['unquantized_params']:g} exceeds total_params {total:g}", "count only the parameters kept at bf16")

    return Model(
        id=data["id"],
        name=data["name"],
        total_params=float(total),
        embedding_params=float(embedding),
        tie_word_embeddings=data.get("tie_word_embeddings", False),
        active_params=float(active) if active is not None else None,
        active_params_published=data.get("active_params_published"),
        params_convention=data["params_convention"],
        family=data.get("family"),
        num_layers=data.get("num_layers"),
        hidden_size=data.get("hidden_size"),
        num_attention_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=data.get("head_dim"),
        intermediate_size=data.get("intermediate_size"),
        num_experts=experts,
        experts_per_token=per_token,
        num_shared_experts=data.get("num_shared_experts", 0),
        moe_intermediate_size=data.get("moe_intermediate_size"),
        vocab_size=data.get("vocab_size"),
        max_context_tokens=data.get("max_context_tokens"),
        kv_elements_per_token=data.get("kv_elements_per_token"),
        default_weight_dtype=data.get("default_weight_dtype", "bf16"),
        unquantized_params=float(data.get("unquantized_params", 0)),
        first_dense_layers=data.get("first_dense_layers", 0),
        moe_layer_interval=data.get("moe_layer_interval", 1),
        shared_expert_intermediate_size=data.get("shared_expert_intermediate_size"),
        attention_bias=data.get("attention_bias", False),
        qk_norm=data.get("qk_norm", False),
        norms_per_layer=data.get("norms_per_layer", 2),
        kv_lora_rank=data.get("kv_lora_rank"),
        qk_rope_head_dim=data.get("qk_rope_head_dim"),
        qk_nope_head_dim=data.get("qk_nope_head_dim"),
        v_head_dim=data.get("v_head_dim"),
        q_lora_rank=data.get("q_lora_rank"),
        sliding_window_tokens=window,
        sliding_window_layers=windowed or 0,
        attention_chunked=data.get("attention_chunked", False),
        aliases=tuple(alias.lower() for alias in data.get("aliases", ())),
        notes=data.get("notes"),
        sources=dict(data["sources"]),
        origin=str(path),
    )


PARSERS: dict[str, Callable[..., Any]] = {HARDWARE: hardware_from_dict, MODELS: model_from_dict}
NOUNS = {HARDWARE: "accelerator", MODELS: "model"}


def load_file(kind: str, path: str, expected_id: str | None = None):
    """Load and validate one catalog file of `kind` ("hardware" or "models")."""
    path = os.fspath(path)
    return PARSERS[kind](read_toml(path), path, expected_id)


def shipped_directory(kind: str) -> str:
    """Return the folder of the catalog shipped with roofcalc.

    An installed wheel carries the catalogs as roofcalc/catalog/{hardware,models};
    a source checkout has them beside the package.
    """
    package = os.path.dirname(os.path.realpath(__file__))
    installed = os.path.join(package, "catalog", kind)
    if os.path.isdir(installed):
        return installed
    return os.path.join(os.path.dirname(package), kind)


def user_directory(kind: str) -> str:
    """Return `$XDG_CONFIG_HOME/roofcalc/KIND`, with `~/.config` when the variable is unset."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(base, "roofcalc", kind)


def catalog_files(directory: str) -> list[tuple[str, str]]:
    """Return (path, id) for each `*.toml` file in `directory`, sorted; none when it does not exist."""
    if not os.path.isdir(directory):
        return []
    try:
        names = sorted(name for name in os.listdir(directory) if name.endswith(".toml"))
    except OSError as error:
        raise CatalogError(f"{directory}: cannot be read: {error.strerror}", hint="check the folder's permissions") from None
    paths = [(os.path.join(directory, name), name[: -len(".toml")]) for name in names]
    return [(path, entry_id) for path, entry_id in paths if os.path.isfile(path)]


class ParseCache:
    """Parsed catalog files kept between runs in `$XDG_CACHE_HOME/roofcalc/KIND.json`.

    Parsing the whole shipped catalog with tomllib takes tens of milliseconds, about
    as long as the grid it feeds. An entry is reused only while the file's path,
    modification time and size are unchanged, and is validated again on every load
    like a freshly parsed file. A cache that cannot be read or written is skipped:
    it only saves time.
    """

    def __init__(self, kind: str) -> None:
        import json

        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        self.path = os.path.join(base, "roofcalc", f"{kind}.json")
        self.changed = False
        try:
            with open(self.path, encoding="utf-8") as handle:
                self.entries = json.load(handle)
            if not isinstance(self.entries, dict):
                self.entries = {}
        except (OSError, ValueError):
            self.entries = {}

    def read(self, path: str) -> dict:
        try:
            stat = os.stat(path)
        except OSError:
            return read_toml(path)  # read_toml raises the error that names the file
        key = [stat.st_mtime_ns, stat.st_size]
        entry = self.entries.get(path)
        if isinstance(entry, dict) and entry.get("stat") == key and isinstance(entry.get("data"), dict):
            return entry["data"]
        data = read_toml(path)
        self.entries[path] = {"stat": key, "data": data}
        self.changed = True
        return data

    def save(self) -> None:
        if not self.changed:
            return
        import json

        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            temporary = f"{self.path}.{os.getpid()}.tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(self.entries, handle)
            os.replace(temporary, self.path)
        except (OSError, TypeError, ValueError):
            pass  # a read-only or full cache folder only costs the next run its speed-up


class Catalog:
    """The entries of one kind, by id and alias, in layers that override each other.

    Layers come in order: the shipped catalog, the user's folder, then extra files. An
    entry in a later layer replaces an entry of the same id, and an alias claimed in a
    later layer moves to the new owner. Two entries of one layer claiming one alias is
    an error. A replacing entry keeps the aliases of the one it replaces, so that `h100`
    still selects a user's own h100-sxm.toml.
    """

    def __init__(self, kind: str, layers: list[list[tuple[str, str | None]]], cache: ParseCache | None = None) -> None:
        self.kind = kind
        self.noun = NOUNS[kind]
        self.entries: dict[str, Any] = {}
        self.aliases: dict[str, str] = {}
        for layer in layers:
            claimed: dict[str, str] = {}
            for path, expected_id in layer:
                if cache is not None and expected_id is not None:
                    entry = PARSERS[kind](cache.read(path), path, expected_id)
                else:
                    entry = load_file(kind, path, expected_id=expected_id)
                replaced = self.entries.get(entry.id)
                self.entries[entry.id] = entry
                for alias in entry.aliases:
                    owner = claimed.get(alias)
                    if owner is not None and owner != entry.id:
                        raise CatalogError(
                            f"{entry.origin}: key 'aliases': {alias!r} is also an alias of {owner!r} in {self.entries[owner].origin}",
                            hint="give each alias to one entry only",
                        )
                    claimed[alias] = entry.id
                if replaced is not None:
                    for alias in replaced.aliases:
                        claimed.setdefault(alias, entry.id)
            self.aliases.update(claimed)
        # An id always wins over another entry's alias.
        self.aliases = {alias: owner for alias, owner in self.aliases.items() if alias not in self.entries}

    def find(self, name: str):
        """Return the entry whose id or alias matches `name`, ignoring case, or None."""
        key = name.strip().lower()
        if key in self.entries:
            return self.entries[key]
        if key in self.aliases:
            return self.entries[self.aliases[key]]
        return None

    def get(self, name: str):
        """Return the entry whose id or alias matches `name`, raising NotFoundError with close matches."""
        entry = self.find(name)
        if entry is not None:
            return entry
        import difflib

        key = name.strip().lower()
        names = list(self.entries) + list(self.aliases)
        close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
        close = list(dict.fromkeys(self.aliases.get(match, match) for match in close))
        listing = f"roofcalc {self.kind} list"
        hint = f"did you mean {', '.join(close)}? `{listing}` shows every id" if close else f"`{listing}` shows every id"
        raise NotFoundError(f"unknown {self.noun} {name!r}", hint=hint)

    def all(self) -> list:
        return [self.entries[key] for key in sorted(self.entries)]


def _user_layers(kind: str, extra_files: tuple[str, ...]) -> list[list[tuple[str, str | None]]]:
    return [catalog_files(user_directory(kind)), [(os.fspath(path), None) for path in extra_files]]


def load_catalog(kind: str, extra_files: tuple[str, ...] = ()) -> Catalog:
    """Load the shipped catalog of `kind`, the user's overrides and any extra files."""
    cache = ParseCache(kind)
    catalog = Catalog(kind, [catalog_files(shipped_directory(kind)), *_user_layers(kind, extra_files)], cache)
    cache.save()
    return catalog


_ALIASES_LINE = re.compile(r"^aliases\s*=\s*\[([^\]]*)\]", re.MULTILINE)


def find_entry(kind: str, name: str, extra_files: tuple[str, ...] = ()):
    """Return the entry of `kind` whose id or alias is `name`, parsing few shipped files.

    Parsing every shipped file costs tens of milliseconds, more than the rest of a
    `calc` run. The user's folder and extra files are few, so they are loaded and
    validated whole and take precedence. In the shipped catalog only the file named
    after the id is read, or for an alias the file whose `aliases` line mentions it.
    With no match at all, the whole catalog is loaded for the "did you mean" hint.
    """
    key = name.strip().lower()
    user = Catalog(kind, _user_layers(kind, extra_files))
    entry = user.find(key)
    if entry is not None:
        return entry

    shipped = shipped_directory(kind)
    path = os.path.join(shipped, f"{key}.toml")
    if ID_PATTERN.match(key) and os.path.isfile(path):
        cache = ParseCache(kind)
        entry = PARSERS[kind](cache.read(path), path, key)
        cache.save()
        return entry
    for path, file_id in catalog_files(shipped):
        with open(path, encoding="utf-8") as handle:
            match = _ALIASES_LINE.search(handle.read())
        if match and re.search(rf"[\"']{re.escape(key)}[\"']", match.group(1), re.IGNORECASE):
            entry = load_file(kind, path, expected_id=file_id)
            if key in entry.aliases:
                return user.find(entry.id) or entry  # a user's file with this id replaces it
    return load_catalog(kind, extra_files).get(name)

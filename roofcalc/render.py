"""Rendering of results for people (rich tables) and for programs (JSON).

rich is imported only inside the table functions, because importing it costs more
than a whole `calc --format json` run otherwise needs.
"""

from __future__ import annotations

import json
import os
import sys

from roofcalc.specs import Hardware, Model


def to_json(data) -> str:
    """Serialize `data` as indented JSON; NaN or infinity raise ValueError instead of printing."""
    return json.dumps(data, indent=2, allow_nan=False)


# Human units: decimal prefixes throughout, as on datasheets.


def format_bytes(value: float | None) -> str:
    if value is None:
        return "n/a"
    for factor, unit in ((1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(value) >= factor:
            return f"{value / factor:,.3g} {unit}" if value / factor < 1000 else f"{value / factor:,.0f} {unit}"
    return f"{value:,.0f} B"


def format_seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1:
        return f"{value:,.3g} s"
    if value >= 1e-3:
        return f"{value * 1e3:.3g} ms"
    return f"{value * 1e6:.3g} µs"


def format_rate(value: float | None, unit: str, factor: float = 1.0) -> str:
    if value is None:
        return "n/a"
    scaled = value / factor
    return f"{scaled:,.0f} {unit}" if scaled >= 100 else f"{scaled:,.3g} {unit}"


def format_flops(value: float | None) -> str:
    if value is None:
        return "n/a"
    for factor, unit in ((1e15, "PFLOP"), (1e12, "TFLOP"), (1e9, "GFLOP")):
        if value >= factor:
            return f"{value / factor:,.3g} {unit}"
    return f"{value:,.3g} FLOP"


def format_usd(value: float | None, per: str) -> str:
    if value is None:
        return "n/a"
    return f"${value:,.3g} {per}" if value < 100 else f"${value:,.0f} {per}"


def format_count(value: float | None) -> str:
    if value is None:
        return "n/a"
    if value >= 1e9:
        return f"{value / 1e9:,.2f}B"
    if value >= 1e6:
        return f"{value / 1e6:,.1f}M"
    return f"{value:,.0f}"


PIPE_WIDTH = 100  # rich would wrap a piped table at 80 columns


def make_console(file=None):
    """Return a rich Console for `file` (stdout by default).

    A terminal gets its own width and colour settings (rich honours NO_COLOR and
    FORCE_COLOR). Anything else gets $COLUMNS, or 100 columns, so the shape of the
    output does not depend on where it goes.
    """
    from rich.console import Console

    file = file or sys.stdout
    width = None
    if not file.isatty():
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() and int(columns) >= 40 else PIPE_WIDTH
    return Console(file=file, width=width, highlight=False)


def print_renderable(renderable, file=None) -> None:
    """Print a rich table; off a terminal, without the padding rich leaves at line ends."""
    console = make_console(file)
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as capture:
        console.print(renderable)
    text = "\n".join(line.rstrip() for line in capture.get().splitlines())
    (file or sys.stdout).write(text + "\n")


def _value(result: dict, key: str):
    return result["inputs"][key]["value"]


def calc_rows(result: dict) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Return the `calc` table as sections of (quantity, value, note) rows."""
    reasons = result["null_reasons"]

    def note(key: str, text: str = "") -> str:
        """Return `text`, or when the value is null a short pointer to the option that supplies it."""
        if result.get(key) is not None:
            return text
        reason = reasons.get(key, "")
        option = next((name for name in ("--flops", "--price", "--tdp", "--memory") if name in reason), None)
        return f"unknown: pass {option}" if option else reason

    def tokens(count: int) -> str:
        return f"{count:,} token" + ("" if count == 1 else "s")

    inputs = result["inputs"]
    model = _value(result, "model") or "given by options"
    hardware = _value(result, "hardware") or "accelerator given by options"
    gpus = _value(result, "num_accelerators")
    mbu, mfu = _value(result, "mbu"), _value(result, "mfu")
    efficiency = _value(result, "efficiency")
    if efficiency == "typical":
        efficiency_note = "typical: measured, see inputs in JSON"
    elif mbu == 1 and mfu == 1:
        efficiency_note = "ideal roofline"
    else:
        efficiency_note = "as given"
    reserve = _value(result, "memory_reserve") * 100
    read_note = "input embedding excluded" if _value(result, "embedding_params") else ""
    sections = [
        ("Inputs", [
            ("model", model, f"{format_count(_value(result, 'total_params'))} params, {format_count(_value(result, 'active_params'))} used per token"),
            ("accelerators", f"{gpus} × {hardware}", ""),
            ("batch × context", f"{_value(result, 'batch')} × {tokens(_value(result, 'context_tokens'))}", f"prompt {tokens(_value(result, 'prompt_tokens'))}"),
            ("data types", f"weights {_value(result, 'weight_dtype')}, KV {_value(result, 'kv_dtype')}", f"compute {_value(result, 'compute_dtype')}"),
            ("memory bandwidth", format_rate(_value(result, "memory_bandwidth_bytes_per_s"), "TB/s", 1e12), "per accelerator"),
            ("peak compute", format_rate(_value(result, "peak_flops_per_s"), "TFLOP/s", 1e12), "per accelerator, dense"),
            ("memory", format_bytes(_value(result, "memory_capacity_bytes")), f"per accelerator, {reserve:g}% reserved"),
            ("MBU / MFU", f"{mbu:.3g} / {mfu:.3g}", efficiency_note),
            ("price", format_usd(_value(result, "price_usd_per_hour"), "/ accelerator-hour"), inputs["price_date"]["value"] or ""),
        ]),
        ("Memory", [
            ("weights", format_bytes(result["weight_bytes"]),
             f"resident, {format_bytes(result['embedding_bytes'])} of it embeddings" if result["embedding_bytes"] else "resident"),
            ("KV cache per token", f"{result['kv_cache_bytes_per_token_unwindowed']:,.0f} B",
             f"{result['kv_cache_bytes_per_token_unwindowed'] / 1024:,.4g} KiB"
             + (f"; {result['kv_cache_bytes_per_token']:,.0f} B on average with {result['windowed_layers']} windowed layers"
                if result["windowed_layers"] else "")),
            ("KV cache per sequence", format_bytes(result["kv_cache_bytes_per_sequence"]), f"at {tokens(result['kv_cache_context_tokens'])}"),
            ("used / usable", f"{format_bytes(result['memory_used_bytes'])} / {format_bytes(result['memory_usable_bytes'])}", note("max_batch")),
        ]),
        ("Time per decode step", [
            ("weights read", format_bytes(result["weight_bytes_read_per_step"]), read_note),
            ("KV cache read", format_bytes(result["kv_bytes_read_per_step"]), ""),
            ("FLOPs", format_flops(result["flops_per_step"]), ""),
            ("memory time", format_seconds(result["memory_time_s"]), "all bytes ÷ bandwidth"),
            ("compute time", format_seconds(result["compute_time_s"]), note("compute_time_s", "all FLOPs ÷ peak")),
            ("linear layers", format_seconds(result["linear_time_s"]), result["linear_bound"] and f"{result['linear_bound']}-bound" or note("linear_time_s")),
            ("attention", format_seconds(result["attention_time_s"]), result["attention_bound"] and f"{result['attention_bound']}-bound" or note("attention_time_s")),
            ("communication", format_seconds(result["communication_time_s"]), "between accelerators"),
            ("fixed overhead", format_seconds(result["overhead_time_s"]), "launches, scheduling"),
            ("step latency", format_seconds(result["step_latency_s"]),
             result["bound"] and f"sum of the 4 rows above, {result['bound']}-bound" or note("step_latency_s")),
            ("crossover batch", "n/a" if result["crossover_batch"] is None else f"{result['crossover_batch']:,.1f}",
             note("crossover_batch", "linear layers turn compute-bound")),
        ]),
        ("Capacity", [
            ("max batch", "n/a" if result["max_batch"] is None else f"{result['max_batch']:,}", f"sequences of {tokens(result['kv_cache_context_tokens'])}"),
            ("throughput", format_rate(result["throughput_tokens_per_s"], "tokens/s"), note("throughput_tokens_per_s", "whole group")),
            ("per user", format_rate(result["tokens_per_s_per_user"], "tokens/s"), note("tokens_per_s_per_user", "one sequence")),
            ("time to first token", format_seconds(result["time_to_first_token_s"]), note("time_to_first_token_s", f"prefill of {tokens(_value(result, 'prompt_tokens'))}")),
        ]),
        ("Cost", [
            ("output tokens", format_usd(result["price_per_million_output_tokens_usd"], "/ M"), note("price_per_million_output_tokens_usd", "at this batch")),
            ("input tokens", format_usd(result["price_per_million_input_tokens_usd"], "/ M"), note("price_per_million_input_tokens_usd", "batched prefill at full compute")),
            ("energy", "n/a" if result["energy_per_output_token_j"] is None else f"{result['energy_per_output_token_j']:.3g} J / token", note("energy_per_output_token_j", "at TDP")),
        ]),
    ]
    serving = []
    if "target" in result:
        target = result["target"]
        serving.append(("target batch", f"{target['batch']:,}", f"largest at ≤ {format_seconds(target['max_step_latency_s'])} per step; {target['binding']} binds"))
    if "replicas" in result:
        serving.append(("replicas needed", "n/a" if result["replicas"] is None else f"{result['replicas']:,}", "groups to serve the --throughput"))
        serving.append(("cost per hour", format_usd(result["cost_per_hour_usd"], "/ h"), "all replicas"))
    if _value(result, "replicas") > 1:
        serving.append(("total throughput", format_rate(result["total_throughput_tokens_per_s"], "tokens/s"),
                        f"{_value(result, 'replicas')} replicas"))
    if serving:
        sections.append(("Serving", serving))
    return sections


def print_calc_table(result: dict, file=None) -> None:
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("quantity", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("note")
    sections = calc_rows(result)
    for title, rows in sections:
        table.add_row(f"[bold]{title}[/bold]", "", "")
        for quantity, value, remark in rows:
            table.add_row(f"  {quantity}", value, remark or "")
        if title != sections[-1][0]:
            table.add_section()
    print_renderable(table, file)


def print_speculative(result: dict, file=None) -> None:
    """Print the speculative-decoding results under the calc table."""
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False, title_justify="left",
                  title=f"Speculative decoding with {result['draft']}")
    table.add_column("quantity", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("note")
    first, last = result["first_paying_batch"], result["last_paying_batch"]
    pays = "never" if first is None else f"batches {first:,}–{last:,}"
    rows = [
        ("tokens per round", f"{result['expected_tokens_per_round']:.3g}",
         f"{result['draft_tokens']} drafted, acceptance {result['acceptance']:g}"),
        ("round time", format_seconds(result["round_time_s"]),
         f"draft {format_seconds(result['draft_time_s'])} + verify {format_seconds(result['verify_time_s'])}"),
        ("per user", format_rate(result["tokens_per_s_per_user"], "tokens/s"), f"{result['speedup']:.2f}× plain decoding"),
        ("throughput", format_rate(result["throughput_tokens_per_s"], "tokens/s"), "whole group"),
        ("output tokens", format_usd(result["price_per_million_output_tokens_usd"], "/ M"), ""),
        ("pays at", pays, "speedup above 1, up to the max batch"),
    ]
    for row in rows:
        table.add_row(*row)
    print_renderable(table, file)


def print_explain(steps: list[dict], file=None) -> None:
    """Print shown work: one block per step with its formula, the numbers and the result."""
    console = make_console(file)
    console.print()
    console.print("[bold]How it was computed[/bold]")
    for number, step in enumerate(steps, 1):
        console.print(f"{number:>2}. {step['quantity']} = {step['formula']}")
        console.print(f"      = {step['substituted']}")
        console.print(f"      = [bold]{step['result_text']}[/bold]")


def hardware_record(hardware: Hardware) -> dict:
    """Return an accelerator entry as a JSON-ready dict in SI units."""
    return hardware._asdict()


def model_record(model: Model) -> dict:
    """Return a model entry as a JSON-ready dict, with the derived per-token figures."""
    record = model._asdict()
    record["read_params"] = model.read_params
    record["active_params_per_token"] = model.active_params_per_token
    record["kv_cache_elements_per_token"] = model.kv_elements
    return record


def print_records_table(columns: list[str], rows: list[list[str]], file=None, fold: bool = False) -> None:
    """Print rows under column titles; `fold` breaks long values (URLs) instead of wrapping at words."""
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < 2 else "right", no_wrap=index == 0,
                         overflow="fold" if fold else "ellipsis")
    for row in rows:
        table.add_row(*row)
    print_renderable(table, file)


def hardware_list_row(hardware: Hardware) -> list[str]:
    flops = hardware.dense_flops_per_s
    return [
        hardware.id,
        hardware.name,
        f"{hardware.memory_capacity_bytes / 1e9:,.0f}",
        f"{hardware.memory_bandwidth_bytes_per_s / 1e12:.3g}",
        f"{flops['bf16'] / 1e12:,.0f}" if "bf16" in flops else "-",
        f"{flops['fp8'] / 1e12:,.0f}" if "fp8" in flops else "-",
        f"{hardware.price_usd_per_hour:.2f}" if hardware.price_usd_per_hour is not None else "-",
    ]


HARDWARE_LIST_COLUMNS = ["id", "name", "memory GB", "TB/s", "bf16 TFLOP/s", "fp8 TFLOP/s", "USD/h"]


def model_list_row(model: Model) -> list[str]:
    kv = model.kv_elements
    return [
        model.id,
        model.name,
        format_count(model.total_params),
        format_count(model.active_params_per_token),
        "-" if model.num_layers is None else str(model.num_layers),
        "-" if kv is None else f"{kv * 2:,.0f}",
        "-" if model.max_context_tokens is None else f"{model.max_context_tokens:,}",
    ]


MODEL_LIST_COLUMNS = ["id", "name", "params", "active", "layers", "KV B/token (bf16)", "max context"]


def detail_rows(record: dict) -> list[list[str]]:
    """Flatten an entry record into (field, value) rows, sources last."""
    rows = []
    for key, value in record.items():
        if key == "sources" or value is None or value == () or value == []:
            continue
        if isinstance(value, dict):
            for sub_key, sub_value in value.items():
                rows.append([f"{key}.{sub_key}", f"{sub_value:.6g}" if isinstance(sub_value, float) else str(sub_value)])
            continue
        if isinstance(value, float):
            text = f"{value:,.0f}" if value.is_integer() and abs(value) >= 1e6 else f"{value:.6g}"
        elif isinstance(value, (list, tuple)):
            text = ", ".join(str(item) for item in value)
        else:
            text = str(value)
        rows.append([key, text])
    for key, source in (record.get("sources") or {}).items():
        rows.append([f"source: {key}", source])
    return rows

"""The grid commands: sweep, compare, tiers and load. Loaded lazily by roofcalc.cli."""

from __future__ import annotations

import csv
import io
import json
import math
import click

from roofcalc import units
from roofcalc.cli import (
    HARDWARE_OPTIONS, HARDWARE_OVERRIDES, MODEL_OPTIONS, PARALLEL_OPTIONS, SCENARIO_OPTIONS, SPEED, STEP_TIME, THROUGHPUT,
    apply_options,
    build_request, emit_warnings, fail,
)
from roofcalc.errors import InvalidQuantity, RoofcalcError

ROW_FORMATS = click.Choice(["table", "json", "ndjson", "csv"], case_sensitive=False)


class Series(click.ParamType):
    """A list of values or ranges: `1,8,64`, `1..512` (doubling) or `1..64:8` (steps of 8)."""

    def __init__(self, parser, name: str) -> None:
        self.parser = parser
        self.name = name

    def get_metavar(self, param, ctx=None) -> str:
        return "LIST"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return parse_series(value, self.parser, self.name)
        except InvalidQuantity as error:
            self.fail(str(error), param, ctx)


MAX_ROWS = 100_000  # rows a sweep prints; a larger grid belongs in the library's arrays


def parse_series(text: str, parser, what: str) -> list[int]:
    """Parse `1,8,64`, `A..B` (A, 2A, 4A, … and B) or `A..B:S` (A to B in steps of S) into sorted values."""
    values: set[int] = set()
    for item in text.split(","):
        item = item.strip()
        if ".." not in item:
            values.add(parser(item, what=what))
            continue
        start_text, _, rest = item.partition("..")
        end_text, _, step_text = rest.partition(":")
        start, end = parser(start_text, what=what), parser(end_text, what=what)
        if end < start:
            raise InvalidQuantity(f"invalid range {item!r}: it ends before it starts", hint="write it like 1..512")
        if step_text:
            step = parser(step_text, what=what)
            count = (end - start) // step + 1
            if count > MAX_ROWS:
                raise InvalidQuantity(f"invalid range {item!r}: {count:,} values is more than {MAX_ROWS:,}", hint="use a larger step")
            values.update(range(start, end + 1, step))
        else:
            value = start
            while value < end:
                values.add(value)
                value *= 2
            values.add(end)
    return sorted(values)


def parse_batch(text: str, what: str) -> int:
    value = units.parse_number(text, what=what, example="64")
    if value != int(value) or value < 1:
        raise InvalidQuantity(f"invalid {what} {text!r}: it must be a whole number of 1 or more", hint="write it like 64")
    if value > 1e9:
        raise InvalidQuantity(f"invalid {what} {text!r}: it is out of range", hint="give at most 10^9")
    return int(value)


BATCHES = Series(parse_batch, "batch")
CONTEXTS = Series(units.parse_tokens, "context")


def _json_ready(rows):
    return json.dumps(rows, indent=2, allow_nan=False)


def _csv_value(value):
    """Write a CSV cell: empty for null, true/false as JSON writes them, whole floats without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def write_rows(rows: list[dict], output_format: str, table_columns: list[tuple[str, str, callable]]) -> None:
    """Write rows as a table (chosen columns), a JSON array, NDJSON or CSV (every key)."""
    if output_format == "json":
        click.echo(_json_ready(rows))
    elif output_format == "ndjson":
        for row in rows:
            click.echo(json.dumps(row, allow_nan=False))
    elif output_format == "csv":
        buffer = io.StringIO()
        keys = list(dict.fromkeys(key for row in rows for key in row))
        writer = csv.DictWriter(buffer, fieldnames=keys, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _csv_value(row.get(key)) for key in keys})
        click.echo(buffer.getvalue(), nl=False)
    else:
        from roofcalc.render import print_records_table

        print_records_table([title for title, _, _ in table_columns],
                            [[render(row.get(key)) for _, key, render in table_columns] for row in rows])


def _fmt(pattern: str, scale: float = 1.0):
    def render(value):
        if value is None:
            return "-"
        if isinstance(value, str):
            return value
        return pattern.format(value * scale)
    return render


def _text(value):
    return "-" if value is None else str(value)


MS = _fmt("{:,.2f}", 1e3)
RATE = _fmt("{:,.1f}")
WHOLE = _fmt("{:,.0f}")
USD = _fmt("{:,.3f}")
JOULES = _fmt("{:.3g}")


def _resolve(ctx, params, **overrides):
    from roofcalc import scenario

    try:
        resolved = scenario.resolve(build_request(ctx, params, **overrides))
        from roofcalc import report

        report.check_fit(resolved)
        return resolved
    except RoofcalcError as error:
        fail(error)


def _check_plot_suffix(value):
    if value is not None and not value.lower().endswith((".png", ".svg")):
        raise click.BadParameter(f"{value!r} does not end in .png or .svg", param_hint="'--plot-file'")
    return value


PLOT_OPTIONS = [
    click.option("--plot", is_flag=True, help="Draw price per million tokens against per-user speed in the terminal."),
    click.option("--plot-file", type=click.Path(dir_okay=False), callback=lambda ctx, param, value: _check_plot_suffix(value),
                 help="Write the same chart to FILE.png or FILE.svg (needs roofcalc[plot])."),
]


@click.command()
@apply_options(MODEL_OPTIONS + HARDWARE_OPTIONS + HARDWARE_OVERRIDES + SCENARIO_OPTIONS + PARALLEL_OPTIONS + PLOT_OPTIONS)
@click.option("--batch", "-b", "batches", type=BATCHES, help="Batches to evaluate: 1,8,64, 1..512 (doubling) or 1..512:16. [default: powers of two up to the max batch, with the crossover and max batch]")
@click.option("--sweep-context", "contexts", type=CONTEXTS, help="Contexts to evaluate instead of one: 1K..128K (doubling) or a list.")
@click.option("--format", "output_format", type=ROW_FORMATS, default="table", show_default=True, help="Output format.")
@click.pass_context
def sweep(ctx, batches, contexts, output_format, plot, plot_file, **params):
    """Evaluate a range of batch sizes (or contexts), one row each.

    Each row carries calc's numeric keys for that point, with the same names and
    values. The inputs and warnings, common to every row, go once to stderr. The
    default batches run 1, 2, 4, … up to the max batch, with the crossover batch and
    the max batch themselves marked. A range A..B doubles from A and ends at B;
    A..B:S steps by S from A, up to B.

    \b
    Examples:
      roofcalc sweep -m llama-3.1-70b -a h100 -n 8
      roofcalc sweep -m llama-3.1-70b -a h100 -n 8 --batch 1..512 --format csv
      roofcalc sweep -m qwen3-32b -a h200 --sweep-context 1K..32K --format ndjson | jq .step_latency_s
    """
    from roofcalc import views

    if plot and output_format.lower() != "table":
        raise click.UsageError("--plot draws a chart instead of rows; drop --format, or use --plot-file with it")
    scenario = _resolve(ctx, {**params, "batch": 1})
    try:
        rows, warnings = views.sweep(scenario, batches, contexts)
    except RoofcalcError as error:
        fail(error)
    if len(rows) > MAX_ROWS:
        fail(RoofcalcError(f"the sweep has {len(rows):,} rows, more than {MAX_ROWS:,}", hint="sweep fewer batches or contexts"))
    emit_warnings(scenario.warnings + warnings)
    if plot or plot_file:
        from roofcalc import plot as plotting

        title = plotting.chart_title(scenario)
        try:
            if plot_file:
                plotting.write_plot_file(rows, plot_file, title)
                click.echo(f"wrote {plot_file}", err=True)
            if plot:
                click.echo(plotting.terminal_plot(rows, title))
        except RoofcalcError as error:
            fail(error)
        if plot:
            return
    write_rows(rows, output_format, [
        ("batch", "batch", WHOLE), ("context", "context_tokens", WHOLE), ("step ms", "step_latency_s", MS),
        ("tok/s/user", "tokens_per_s_per_user", RATE), ("tok/s", "throughput_tokens_per_s", WHOLE),
        ("$/M out", "price_per_million_output_tokens_usd", USD), ("bound", "bound", _text), ("", "marker", _text),
    ])


SORT_KEYS = ("price", "latency", "speed", "throughput", "max-batch", "energy", "hardware", "target-price")
SORT_COLUMNS = {
    "price": ("max_batch_price_per_million_output_tokens_usd", False),
    "latency": ("batch1_step_latency_s", False),
    "speed": ("batch1_tokens_per_s_per_user", True),
    "throughput": ("max_batch_throughput_tokens_per_s", True),
    "max-batch": ("max_batch", True),
    "energy": ("max_batch_energy_per_output_token_j", False),
    "hardware": ("hardware", False),
    "target-price": ("target_price_per_million_output_tokens_usd", False),
}


class GpuCount(click.ParamType):
    name = "gpus"

    def get_metavar(self, param, ctx=None) -> str:
        return "N|auto"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        if value.strip().lower() == "auto":
            return "auto"
        try:
            return parse_batch(value, "accelerator count")
        except InvalidQuantity as error:
            self.fail(f"{error}; or write auto", param, ctx)


COMPARE_SCENARIO = SCENARIO_OPTIONS[1:]  # compare's --gpus also takes auto


@click.command(short_help="Compare one model across accelerators.")
@apply_options(MODEL_OPTIONS + COMPARE_SCENARIO + [option for option in PARALLEL_OPTIONS[2:]])
@click.option("--hardware", "-a", "hardware_ids", multiple=True, help="Accelerator ids, comma-separated or repeated. [default: every catalog entry]")
@click.option("--gpus", "-n", type=GpuCount(), default="auto", show_default=True, help="Accelerators per group, or auto: the fewest that hold the weights and one sequence, up to a node.")
@click.option("--batch", "-b", "price_batch", type=click.IntRange(min=1), help="Also price output tokens at this batch.")
@click.option("--min-tokens-per-s-per-user", type=SPEED, help="Find, per accelerator, the largest batch and the cheapest count that keep this per-user speed.")
@click.option("--max-step-latency", type=STEP_TIME, help="Like --min-tokens-per-s-per-user, as a step latency such as 20ms.")
@click.option("--throughput", "target_throughput", type=THROUGHPUT, help="Tokens/s to serve: adds the groups (replicas) needed and their cost per hour.")
@click.option("--sort", "sort_key", type=click.Choice(SORT_KEYS), default="price", show_default=True, help="Column to sort by.")
@click.option("--fits-only", is_flag=True, help="Leave out accelerators the model does not fit.")
@click.option("--format", "output_format", type=ROW_FORMATS, default="table", show_default=True, help="Output format.")
@click.pass_context
def compare(ctx, hardware_ids, gpus, price_batch, min_tokens_per_s_per_user, max_step_latency, target_throughput, sort_key,
            fits_only, output_format, **params):
    """Compare one model across accelerators: speed floor, capacity and price.

    \b
    Examples:
      roofcalc compare -m llama-3.1-70b
      roofcalc compare -m llama-3.1-70b -a h100,h200,b200,mi300x --fits-only
      roofcalc compare -m llama-3.1-70b --min-tokens-per-s-per-user 50 --sort target-price
    """
    from roofcalc import catalog, views

    target = None
    if min_tokens_per_s_per_user is not None or max_step_latency is not None:
        target = views.step_latency_target(min_tokens_per_s_per_user, max_step_latency)
    elif sort_key == "target-price":
        raise click.UsageError("--sort target-price needs --min-tokens-per-s-per-user or --max-step-latency")
    names = [name.strip() for text in hardware_ids for name in text.split(",")]
    if hardware_ids and not any(names):
        raise click.UsageError("--hardware is empty: name accelerator ids, or leave it out for all of them")
    try:
        hardware_catalog = catalog.load_catalog(catalog.HARDWARE)
        if hardware_ids:
            chosen = [hardware_catalog.get(name) for name in names if name]
            hardware_list = list({entry.id: entry for entry in chosen}.values())
        else:
            hardware_list = hardware_catalog.all()
        request = build_request(ctx, {**params, "gpus": 1 if gpus == "auto" else gpus}, hardware=None)
        if request.model is None and request.total_params is None:
            raise RoofcalcError("no model given", hint="pass --model ID")
        rows, warnings = views.compare(request, hardware_list, gpus == "auto", price_batch, target, target_throughput)
    except RoofcalcError as error:
        fail(error)
    if fits_only:
        rows = [row for row in rows if row["fits"]]
    column, descending = SORT_COLUMNS["target-price" if target is not None and sort_key == "price" else sort_key]
    present = [row for row in rows if row.get(column) is not None]
    missing = [row for row in rows if row.get(column) is None]
    rows = sorted(present, key=lambda row: row[column], reverse=descending) + missing
    emit_warnings(warnings)
    columns = [
        ("accelerator", "hardware", _text), ("n", "num_accelerators", WHOLE),
        ("b1 ms", "batch1_step_latency_s", MS), ("b1 tok/s", "batch1_tokens_per_s_per_user", RATE),
        ("crossover", "crossover_batch", WHOLE), ("max batch", "max_batch", WHOLE),
        ("tok/s @max", "max_batch_throughput_tokens_per_s", WHOLE),
        ("$/M @max", "max_batch_price_per_million_output_tokens_usd", USD),
    ]
    if price_batch:
        columns.append((f"$/M @{price_batch}", "batch_price_per_million_output_tokens_usd", USD))
    if target is not None:
        columns += [("batch @target", "target_batch", WHOLE), ("$/M @target", "target_price_per_million_output_tokens_usd", USD)]
    if target_throughput is not None:
        columns += [("replicas", "replicas", WHOLE), ("$/h", "cost_per_hour_usd", _fmt("{:,.2f}"))]
    columns += [("J/tok", "max_batch_energy_per_output_token_j", JOULES), ("note", "reason", _text)]
    write_rows(rows, output_format, columns)


class TierOption(click.ParamType):
    name = "tier"

    def get_metavar(self, param, ctx=None) -> str:
        return "NAME=SPEC"

    def convert(self, value, param, ctx):
        from roofcalc import views

        try:
            return views.parse_tier(value) if isinstance(value, str) else value
        except InvalidQuantity as error:
            self.fail(str(error), param, ctx)


@click.command()
@apply_options(MODEL_OPTIONS + HARDWARE_OPTIONS + HARDWARE_OVERRIDES + SCENARIO_OPTIONS + PARALLEL_OPTIONS)
@click.option("--tier", "tier_specs", type=TierOption(), multiple=True, help="NAME=SPEC, repeatable: SPEC is batch:N, batch:max, batch:crossover or a per-user speed such as 150tok/s. [default: fast=batch:1, standard=batch:crossover, slow=batch:max]")
@click.option("--format", "output_format", type=ROW_FORMATS, default="table", show_default=True, help="Output format.")
@click.pass_context
def tiers(ctx, tier_specs, output_format, **params):
    """Price the fast, standard and slow tiers a provider could sell.

    Fast runs at batch 1, standard at the crossover batch (or, when that does not fit,
    where the step takes twice as long as at batch 1), slow at the max batch. Each
    tier's price is also given as a multiple of the cheapest.

    \b
    Examples:
      roofcalc tiers -m llama-3.1-70b -a h100 -n 8 --context 4096
      roofcalc tiers -m llama-3.1-70b -a h100 -n 8 --tier fast=150tok/s --tier slow=batch:max
    """
    from roofcalc import views

    scenario = _resolve(ctx, {**params, "batch": 1})
    try:
        specs = list(tier_specs) or list(views.DEFAULT_TIERS)
        rows, warnings = views.tiers(scenario, specs)
    except RoofcalcError as error:
        fail(error)
    emit_warnings(scenario.warnings + warnings)
    write_rows(rows, output_format, [
        ("tier", "tier", _text), ("batch", "batch", WHOLE), ("tok/s/user", "tokens_per_s_per_user", RATE),
        ("step ms", "step_latency_s", MS), ("tok/s", "throughput_tokens_per_s", WHOLE),
        ("$/M out", "price_per_million_output_tokens_usd", USD), ("× cheapest", "price_multiple", _fmt("{:.2f}×")),
        ("bound", "bound", _text), ("rule", "rule", _text),
    ])


def parse_rate(text: str) -> float:
    """Parse an arrival rate such as `5/s`, `300/min` or `2.5` (per second) into requests per second."""
    number, _, unit = text.strip().partition("/")
    factor = {"": 1.0, "s": 1.0, "min": 1 / 60.0, "h": 1 / 3600.0}.get(unit.strip().lower())
    if factor is None:
        raise InvalidQuantity(f"invalid rate {text!r}: unknown unit {unit!r}", hint="write it like 5/s, 300/min or 1000/h")
    return units.parse_number(number, what="rate") * factor


class Rate(click.ParamType):
    name = "rate"

    def get_metavar(self, param, ctx=None) -> str:
        return "RATE"

    def convert(self, value, param, ctx):
        try:
            return parse_rate(value) if isinstance(value, str) else value
        except InvalidQuantity as error:
            self.fail(str(error), param, ctx)


@click.command()
@apply_options(MODEL_OPTIONS + HARDWARE_OPTIONS + HARDWARE_OVERRIDES + SCENARIO_OPTIONS + PARALLEL_OPTIONS)
@click.option("--rate", "rate", type=Rate(), required=True, help="Request arrival rate: 5/s, 300/min or 1000/h.")
@click.option("--fill-batch", type=click.IntRange(min=1), help="Hold requests until a batch of this size fills (slow mode) instead of continuous batching.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Output format.")
@click.pass_context
def load(ctx, rate, fill_batch, output_format, **params):
    """Cost and speed at a traffic level, from Little's law.

    With continuous batching the sequences in flight settle where
    B = rate × output tokens × step(B). Give --output-tokens (tokens generated per
    request; default 256).

    \b
    Examples:
      roofcalc load -m llama-3.1-70b -a h100 -n 8 --rate 5/s --output-tokens 500
      roofcalc load -m llama-3.1-70b -a h100 -n 8 --rate 1/s --fill-batch 32
    """
    from roofcalc import report, views

    output_tokens = params.get("output_tokens") or 256
    scenario = _resolve(ctx, params)
    system = scenario.system
    try:
        if fill_batch is None:
            result = views.steady_batch(scenario, rate, output_tokens)
            batch = result.batch
        else:
            result = None
            batch = float(fill_batch)
        points = report.evaluate_points(scenario, batch) if batch is not None else None
    except RoofcalcError as error:
        fail(error)

    tokens_per_s = rate * output_tokens
    cost_per_s = None if system.price_usd_per_hour is None else system.num_accelerators * system.price_usd_per_hour / 3600.0
    data = {
        "requests_per_s": rate,
        "output_tokens": output_tokens,
        "demand_tokens_per_s": tokens_per_s,
        "mode": "continuous batching" if fill_batch is None else "fill batch",
        "stable": True,
        "batch": batch,
        "message": None,
    }
    warnings = list(scenario.warnings)
    if result is not None and not result.stable:
        data.update({"stable": False, "message": result.message})
        warnings.append(result.message)
    if points is not None:
        step = report.scalar(points["step_latency_s"])
        data["step_latency_s"] = step
        data["tokens_per_s_per_user"] = report.scalar(points["tokens_per_s_per_user"])
        data["memory_roofline_utilization"] = report.scalar(points["memory_time_s"]) / step
        data["compute_roofline_utilization"] = report.scalar(points["compute_time_s"]) / step
        data["max_batch"] = report.scalar(points["max_batch"])
        if fill_batch is not None and data["max_batch"] is not None and fill_batch > data["max_batch"]:
            warnings.append(f"a batch of {fill_batch} exceeds the max batch of {data['max_batch']:.0f} that fits in memory")
        if fill_batch is not None:
            fill_time = fill_batch / rate
            busy = output_tokens * step
            data["mean_wait_s"] = (fill_batch - 1) / (2.0 * rate)
            data["request_latency_s"] = data["mean_wait_s"] + busy
            data["group_busy_share"] = busy / fill_time
            if busy > fill_time:
                data["stable"] = False
                data["message"] = (f"a batch of {fill_batch} takes {busy:.3g} s to decode but fills every {fill_time:.3g} s: "
                                   "the queue grows without bound")
                warnings.append(data["message"])
        else:
            data["request_latency_s"] = output_tokens * step
    data["price_per_million_output_tokens_usd"] = None if cost_per_s is None or not data["stable"] else cost_per_s / tokens_per_s * 1e6
    data["warnings"] = warnings
    emit_warnings(warnings)
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, allow_nan=False))
        return
    from roofcalc.render import print_records_table

    labels = [
        ("mode", "mode", _text), ("arrival rate", "requests_per_s", _fmt("{:,.4g} requests/s")),
        ("demand", "demand_tokens_per_s", _fmt("{:,.0f} tokens/s")), ("sequences in flight", "batch", _fmt("{:,.2f}")),
        ("step latency", "step_latency_s", _fmt("{:.3g} ms", 1e3)), ("per user", "tokens_per_s_per_user", _fmt("{:,.1f} tokens/s")),
        ("memory roofline used", "memory_roofline_utilization", _fmt("{:.0%}")),
        ("compute roofline used", "compute_roofline_utilization", _fmt("{:.0%}")),
        ("mean wait to fill", "mean_wait_s", _fmt("{:.3g} s")), ("request latency", "request_latency_s", _fmt("{:.3g} s")),
        ("price", "price_per_million_output_tokens_usd", _fmt("${:,.3f} / M tokens")), ("note", "message", _text),
    ]
    print_records_table(["quantity", "value"], [[label, render(data.get(key))] for label, key, render in labels if key in data])


class MeasuredOption(click.ParamType):
    name = "measurement"

    def get_metavar(self, param, ctx=None) -> str:
        return "POINT"

    def convert(self, value, param, ctx):
        from roofcalc.calibrate import parse_measured

        try:
            return parse_measured(value, None) if isinstance(value, str) else value
        except RoofcalcError as error:
            self.fail(str(error), param, ctx)


def _check_profile_name(ctx, param, value):
    import re

    if value is not None and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", value):
        raise click.BadParameter(f"invalid profile name {value!r}: use letters, digits, '.', '_' and '-'")
    return value


def read_measured_csv(path: str, default_context: int) -> list:
    """Read measured points from a CSV with columns batch, tpot_s or tokens_per_s, and optionally context_tokens."""
    from roofcalc.calibrate import MeasuredStep

    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:  # -sig: spreadsheets write a byte-order mark
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise RoofcalcError(f"{path}: cannot be read: {error}", hint="pass a UTF-8 CSV file") from None
    points = []
    for number, row in enumerate(rows, start=2):
        try:
            batch = int(row["batch"])
            context = int(row.get("context_tokens") or default_context)
            if row.get("tpot_s"):
                step = float(row["tpot_s"])
            else:
                step = 1.0 / float(row["tokens_per_s"])
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            raise RoofcalcError(f"{path}: line {number}: expected batch and tpot_s or tokens_per_s as numbers",
                                hint="the header must name batch, tpot_s or tokens_per_s, and optionally context_tokens") from None
        if batch < 1 or step <= 0 or not math.isfinite(step) or context < 1:
            raise RoofcalcError(f"{path}: line {number}: batch, context and time must be positive")
        points.append(MeasuredStep(batch, context, step))
    return points


@click.command()
@apply_options(MODEL_OPTIONS + HARDWARE_OPTIONS + HARDWARE_OVERRIDES + SCENARIO_OPTIONS + PARALLEL_OPTIONS)
@click.option("--measured", "measured_points", type=MeasuredOption(), multiple=True, help="A measured point: batch=1,tpot=18.6ms (or tokens_per_s=53.8), optionally context=4096. Repeatable.")
@click.option("--measured-csv", type=click.Path(exists=True, dir_okay=False), help="CSV of measured points: batch, tpot_s or tokens_per_s, optional context_tokens.")
@click.option("--no-overhead", is_flag=True, help="Fit MBU and MFU only, with no fixed overhead.")
@click.option("--save-profile", metavar="NAME", callback=_check_profile_name, help="Save the fit as a profile that --profile NAME applies later.")
@click.option("--force", is_flag=True, help="With --save-profile, replace a profile of the same name.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"], case_sensitive=False), default="table", show_default=True, help="Output format.")
@click.pass_context
def calibrate(ctx, measured_points, measured_csv, no_overhead, save_profile, force, output_format, **params):
    """Fit MBU, MFU and a fixed step overhead to measured decode speeds.

    Least squares over the measured points, with each point's residual. Points at
    batch 1 pin MBU and the overhead; MFU needs points where the linear layers are
    compute-bound.

    \b
    Examples:
      roofcalc calibrate -m llama-2-7b -a a100-80gb-sxm --measured batch=1,tpot=9.53ms
      roofcalc calibrate -m llama-3.1-70b -a h100 -n 8 --measured-csv points.csv --save-profile h100-vllm
    """
    from roofcalc import calibrate as calibration

    if not measured_points and not measured_csv:
        raise click.UsageError("give at least one --measured point or a --measured-csv file")
    if force and not save_profile:
        raise click.UsageError("--force only applies with --save-profile")
    scenario = _resolve(ctx, {**params, "batch": 1, "efficiency": "ideal"})
    default_context = scenario.request.context_tokens
    try:
        points = [point._replace(context_tokens=point.context_tokens or default_context) for point in measured_points]
        if measured_csv:
            points += read_measured_csv(measured_csv, default_context)
        result = calibration.fit(scenario, points, fit_overhead=not no_overhead)
        if save_profile:
            saved = calibration.save_profile(save_profile, scenario, result, len(points), replace=force)
    except RoofcalcError as error:
        fail(error)
    data = {
        "mbu": result.mbu, "mfu": result.mfu, "step_overhead_s": result.step_overhead_s,
        "identifiable": result.identifiable,
        "points": [
            {"batch": point.batch, "context_tokens": point.context_tokens, "measured_step_s": point.step_latency_s,
             "predicted_step_s": predicted, "residual_s": residual}
            for point, predicted, residual in zip(points, result.predicted_s, result.residuals_s)
        ],
        "warnings": result.notes,
    }
    emit_warnings(result.notes)
    if save_profile:
        click.echo(f"saved profile {save_profile} to {saved}", err=True)
    if output_format == "json":
        click.echo(json.dumps(data, indent=2, allow_nan=False))
        return
    from roofcalc.render import print_records_table

    def fitted(name, text):
        return text if result.identifiable[name] else f"{text} (not fitted)"

    print_records_table(["fit", "value"], [
        ["MBU", fitted("mbu", f"{result.mbu:.3f}")],
        ["MFU", fitted("mfu", f"{result.mfu:.3f}")],
        ["step overhead", fitted("step_overhead_s", f"{result.step_overhead_s * 1e3:.3f} ms")],
    ])
    click.echo()
    print_records_table(["batch", "context", "measured ms", "fitted ms", "residual ms"], [
        [str(p["batch"]), f"{p['context_tokens']:,}", f"{p['measured_step_s'] * 1e3:.3f}", f"{p['predicted_step_s'] * 1e3:.3f}",
         f"{p['residual_s'] * 1e3:+.3f}"]
        for p in data["points"]
    ])

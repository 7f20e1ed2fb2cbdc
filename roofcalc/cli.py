"""The roofcalc command line: option parsing, catalog lookup, output and exit codes.

Exit codes: 0 success; 1 an input or scenario roofcalc cannot evaluate (unknown id,
invalid catalog file, weights that do not fit); 2 invalid command-line usage, as
click reports it (a malformed option value, a missing argument).
"""

from __future__ import annotations

import os
import sys
from enum import IntEnum

import click

from roofcalc import __version__, dtypes, units
from roofcalc.errors import InvalidQuantity, RoofcalcError


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2


class Quantity(click.ParamType):
    """A click parameter type that parses a number with a unit through `roofcalc.units`."""

    def __init__(self, parser, name: str, metavar: str, **options) -> None:
        self.parser = parser
        self.name = name
        self.metavar = metavar
        self.options = options

    def get_metavar(self, param, ctx=None) -> str:
        return self.metavar

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.parser(value, what=self.name, **self.options)
        except InvalidQuantity as error:
            self.fail(str(error), param, ctx)


BYTES = Quantity(units.parse_bytes, "size", "SIZE")
BANDWIDTH = Quantity(units.parse_bandwidth, "bandwidth", "RATE")
FLOPS = Quantity(units.parse_flops, "compute rate", "FLOPS")
COUNT = Quantity(units.parse_count, "parameter count", "COUNT")
TOKENS = Quantity(units.parse_tokens, "token count", "TOKENS")
PRICE = Quantity(units.parse_number, "price", "USD")
POWER = Quantity(units.parse_number, "power", "WATTS")
EFFICIENCY = Quantity(units.parse_number, "efficiency", "SHARE", maximum=1.0, example="0.8")
RESERVE = Quantity(units.parse_number, "memory reserve", "SHARE", allow_zero=True, maximum=0.99, example="0.1")
SECONDS = Quantity(units.parse_seconds, "time", "TIME")
STEP_TIME = Quantity(units.parse_seconds, "step latency", "TIME", allow_zero=False)
SPEED = Quantity(units.parse_number, "speed", "TOKENS/S", example="50")
THROUGHPUT = Quantity(units.parse_number, "throughput", "TOKENS/S", example="100000")
ACCEPTANCE = Quantity(units.parse_number, "acceptance", "SHARE", allow_zero=True, maximum=1.0, example="0.8")


class WeightFormat(click.ParamType):
    """A weight data type: a plain type, a block-scaled format or a grouped integer format."""

    name = "dtype"

    def convert(self, value, param, ctx):
        try:
            return dtypes.normalize(value)
        except InvalidQuantity as error:
            self.fail(str(error), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "[" + "|".join(dtypes.WEIGHT_FORMATS) + "|int4-gN]"

FORMATS = click.Choice(["table", "json"], case_sensitive=False)


def fail(error: RoofcalcError) -> None:
    """Print `error` on stderr and exit 1."""
    click.echo(f"error: {error}", err=True)
    sys.exit(ExitCode.ERROR)


def emit_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


class LazyGroup(click.Group):
    """A click group whose larger commands are imported only when run.

    A one-off `calc` should start about as fast as Python itself, so the grid commands
    and their options are defined in roofcalc.cli_views and loaded on demand.
    """

    lazy_commands = {
        "sweep": "roofcalc.cli_views:sweep",
        "compare": "roofcalc.cli_views:compare",
        "tiers": "roofcalc.cli_views:tiers",
        "load": "roofcalc.cli_views:load",
        "calibrate": "roofcalc.cli_views:calibrate",
    }

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self.lazy_commands])

    def get_command(self, ctx, name):
        if name in self.lazy_commands:
            import importlib

            module, attribute = self.lazy_commands[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="roofcalc")
def cli() -> None:
    """Closed-form roofline estimates of LLM inference latency, throughput and price.

    \b
    Example:
      roofcalc calc --model llama-3.1-70b --hardware h100-sxm --gpus 8 --batch 64
    """


def _lookup(kind: str, name: str | None, file: str | None):
    """Return the catalog entry `name`, or the entry in `file` when no name is given."""
    from roofcalc import catalog

    if name is None and file is None:
        return None
    if name is None:
        return catalog.load_file(kind, file)
    entry = catalog.find_entry(kind, name, (file,) if file is not None else ())
    if file is not None and os.path.abspath(entry.origin) != os.path.abspath(file):
        option = "--hardware" if kind == catalog.HARDWARE else "--model"
        click.echo(f"warning: {file} is not used: {option} {name} selects {entry.id} from {entry.origin}", err=True)
    return entry


def apply_options(options):
    """Return a decorator that adds `options` to a command, in the order listed."""

    def decorate(function):
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


MODEL_OPTIONS = [
    click.option("--model", "-m", "model_id", metavar="ID", help="Model id or alias from `roofcalc models list`."),
    click.option("--model-file", type=click.Path(dir_okay=False), help="Model TOML file; used when --model is not given."),
    click.option("--model-config", type=click.Path(exists=True, dir_okay=False), help="Hugging Face config.json of the model, read from disk."),
    click.option("--params", type=COUNT, help="Total parameters, such as 70B."),
    click.option("--active-params", type=COUNT, help="Parameters used per token, such as 13B (mixture of experts)."),
    click.option("--kv-bytes-per-token", type=BYTES, help="KV-cache size of one token, such as 320KiB."),
]
HARDWARE_OPTIONS = [
    click.option("--hardware", "-a", "hardware_id", metavar="ID", help="Accelerator id or alias from `roofcalc hardware list`."),
    click.option("--hardware-file", type=click.Path(dir_okay=False), help="Accelerator TOML file; used when --hardware is not given."),
]
HARDWARE_OVERRIDES = [
    click.option("--bandwidth", type=BANDWIDTH, help="Memory bandwidth per accelerator, such as 3.35TB/s."),
    click.option("--flops", type=FLOPS, help="Dense peak per accelerator at the compute type, such as 989TFLOPS."),
    click.option("--memory", type=BYTES, help="Memory per accelerator, such as 80GB or 80GiB."),
    click.option("--price", type=PRICE, help="Price in USD per accelerator-hour."),
    click.option("--tdp", type=POWER, help="Board power per accelerator in watts."),
]
PARALLEL_OPTIONS = [
    click.option("--tp", type=click.IntRange(min=1), help="Tensor-parallel degree: accelerators per pipeline stage. [default: --gpus]"),
    click.option("--pp", type=click.IntRange(min=1), default=1, show_default=True, help="Pipeline stages, each of --tp accelerators."),
    click.option("--ep", type=click.IntRange(min=1), default=1, show_default=True, help="Expert-parallel degree within a stage (mixture of experts)."),
    click.option("--replicas", type=click.IntRange(min=1), default=1, show_default=True, help="Copies of the whole group serving in parallel (data parallel)."),
    click.option("--interconnect", type=BANDWIDTH, help="Accelerator-to-accelerator bandwidth, one direction, such as 450GB/s."),
    click.option("--message-latency", type=SECONDS, help="Fixed time of one collective phase, such as 5us. [default: 0 ideal, 5.09us typical]"),
    click.option("--overlap-comm", is_flag=True, help="Hide communication behind compute where it fits."),
    click.option("--efficiency", type=click.Choice(["ideal", "typical"], case_sensitive=False), default="ideal", show_default=True,
                 help="ideal: the roofline bound. typical: measured MBU, MFU and overheads."),
    click.option("--step-overhead", type=SECONDS, help="Fixed time per decode step, such as 1ms."),
    click.option("--layer-overhead", type=SECONDS, help="Fixed time per layer per step (kernel launches), such as 20us."),
    click.option("--profile", metavar="NAME", help="Apply the MBU, MFU and overhead saved by `roofcalc calibrate --save-profile NAME`."),
]
SCENARIO_OPTIONS = [
    click.option("--gpus", "-n", type=click.IntRange(min=1), default=1, show_default=True, help="Accelerators per pipeline stage; the same as --tp."),
    click.option("--context", "-s", type=TOKENS, default="4096", show_default=True, help="Tokens of context cached per sequence; K = 1024."),
    click.option("--prompt-tokens", type=TOKENS, help="Prompt length for prefill and time to first token. [default: the context]"),
    click.option("--output-tokens", type=TOKENS, help="Tokens generated per request; decode then averages over the growing context after the prompt."),
    click.option("--weight-dtype", type=WeightFormat(), help="Data type of the weights, block scales included. [default: the model's released type, else bf16]"),
    click.option("--kv-dtype", type=click.Choice(dtypes.KV_DTYPES, case_sensitive=False), default="bf16", show_default=True, help="Data type of the KV cache."),
    click.option("--compute-dtype", type=click.Choice(dtypes.COMPUTE_DTYPES, case_sensitive=False), default="bf16", show_default=True, help="Data type of the matrix multiplies; picks the peak FLOP/s."),
    click.option("--emulate-as", type=click.Choice(dtypes.COMPUTE_DTYPES, case_sensitive=False), help="Run a compute type the accelerator lacks at this type's peak FLOP/s."),
    click.option("--mbu", type=EFFICIENCY, help="Achieved share of peak memory bandwidth, 0 to 1. [default: 1, ideal]"),
    click.option("--mfu", type=EFFICIENCY, help="Achieved share of peak FLOP/s, 0 to 1. [default: 1, ideal]"),
    click.option("--memory-reserve", type=RESERVE, help="Share of memory kept free for activations and the runtime. [default: 0.1]"),
]


def explicit_options(ctx: click.Context) -> frozenset[str]:
    """Return the options the user gave, as `--name` strings, for provenance."""
    return frozenset(
        f"--{name.replace('_', '-')}" for name in ctx.params
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    )


def load_model(params: dict):
    """Return the model named by --model-config, --model or --model-file, or None."""
    from roofcalc import catalog

    if params.get("model_config") is not None and (params.get("model_id") or params.get("model_file")):
        raise click.UsageError("give one of --model, --model-file or --model-config")
    if params.get("model_config") is not None:
        from roofcalc import hfconfig

        return hfconfig.load_model_config(params["model_config"])
    return _lookup(catalog.MODELS, params.get("model_id"), params.get("model_file"))


def build_request(ctx: click.Context, params: dict, **overrides):
    """Build a scenario Request from a command's parameters; `overrides` replace fields."""
    from roofcalc import catalog, scenario

    explicit = explicit_options(ctx)
    tensor_parallel = params.get("tp") or params.get("gpus", 1)
    if params.get("tp") and "--gpus" in explicit and params["gpus"] != params["tp"]:
        raise click.UsageError(f"--gpus {params['gpus']} and --tp {params['tp']} disagree; --gpus is a shorthand for --tp")
    stages = params.get("pp", 1)
    fields = dict(
        model=load_model(params),
        hardware=_lookup(catalog.HARDWARE, params.get("hardware_id"), params.get("hardware_file")),
        num_accelerators=tensor_parallel * stages,
        pipeline_stages=stages,
        expert_parallel=params.get("ep", 1),
        replicas=params.get("replicas", 1),
        efficiency=(params.get("efficiency") or "ideal").lower(),
        interconnect_bytes_per_s=params.get("interconnect"),
        message_latency_s=params.get("message_latency"),
        overlap_communication=params.get("overlap_comm", False),
        step_overhead_s=params.get("step_overhead"),
        layer_overhead_s=params.get("layer_overhead"),
        batch=params.get("batch", 1),
        context_tokens=params["context"],
        prompt_tokens=params.get("prompt_tokens"),
        output_tokens=params.get("output_tokens"),
        weight_dtype=params.get("weight_dtype"),
        kv_dtype=params["kv_dtype"],
        compute_dtype=params["compute_dtype"],
        emulate_as=params.get("emulate_as"),
        mbu=params.get("mbu"),
        mfu=params.get("mfu"),
        memory_reserve=params.get("memory_reserve"),
        bandwidth_bytes_per_s=params.get("bandwidth"),
        flops_per_s=params.get("flops"),
        memory_bytes=params.get("memory"),
        total_params=params.get("params"),
        active_params=params.get("active_params"),
        kv_bytes_per_token=params.get("kv_bytes_per_token"),
        price_usd_per_hour=params.get("price"),
        tdp_w=params.get("tdp"),
        explicit=explicit,
    )
    if params.get("profile"):
        from roofcalc.calibrate import load_profile

        profile = load_profile(params["profile"])
        fields["profile"] = params["profile"]
        for option, field, key in (("--mbu", "mbu", "mbu"), ("--mfu", "mfu", "mfu"), ("--step-overhead", "step_overhead_s", "step_overhead_s")):
            if option not in explicit:
                fields[field] = profile[key]
    fields.update(overrides)
    return scenario.Request(**fields)


@cli.command(short_help="Estimate one decode step: latency, throughput, price.")
@apply_options(MODEL_OPTIONS + HARDWARE_OPTIONS + HARDWARE_OVERRIDES + SCENARIO_OPTIONS + PARALLEL_OPTIONS)
@click.option("--batch", "-b", type=click.IntRange(min=1), default=1, show_default=True, help="Sequences decoded together in one step.")
@click.option("--min-tokens-per-s-per-user", "min_speed", type=SPEED, help="Use the largest batch that keeps this per-user speed in tokens/s.")
@click.option("--max-step-latency", "max_step", type=STEP_TIME, help="Use the largest batch whose step takes at most this long, such as 20ms.")
@click.option("--throughput", "target_throughput", type=THROUGHPUT, help="Tokens/s to serve: adds the groups (replicas) needed and their cost per hour.")
@click.option("--draft-model", metavar="ID", help="Speculative decoding: the draft model's catalog id.")
@click.option("--mtp-params", type=COUNT, help="Speculative decoding with a built-in multi-token-prediction head of this many parameters.")
@click.option("--draft-tokens", type=click.IntRange(min=1), default=4, show_default=True, help="Tokens the draft proposes per round.")
@click.option("--acceptance", type=ACCEPTANCE, help="Probability that the target accepts a drafted token, 0 to 1.")
@click.option("--explain", is_flag=True, help="Show each formula with its numbers substituted.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True, help="Output format.")
@click.pass_context
def calc(ctx: click.Context, output_format: str, min_speed, max_step, target_throughput, draft_model, mtp_params,
         draft_tokens, acceptance, explain: bool, **params) -> None:
    """Estimate one decode step: latency, throughput, capacity and price.

    Give a model and an accelerator from the catalogs, or raw numbers with units,
    which also override catalog fields.

    \b
    Examples:
      roofcalc calc --model llama-3.1-70b --hardware h100-sxm --gpus 8 --batch 64
      roofcalc calc --bandwidth 3.35TB/s --flops 989TFLOPS --memory 80GB \\
        --params 70B --kv-bytes-per-token 320KiB --batch 64 --context 4096 --gpus 4
    """
    from roofcalc import report, scenario
    from roofcalc.render import print_calc_table, print_explain, to_json

    explicit = explicit_options(ctx)
    if draft_model is None and mtp_params is None and ({"--acceptance", "--draft-tokens"} & explicit):
        raise click.UsageError("--acceptance and --draft-tokens need a draft: pass --draft-model ID or --mtp-params")
    if (min_speed is not None or max_step is not None) and "--batch" in explicit_options(ctx):
        raise click.UsageError("give either --batch or a target (--min-tokens-per-s-per-user, --max-step-latency), not both")
    try:
        resolved = scenario.resolve(build_request(ctx, params))
        target = None
        if min_speed is not None or max_step is not None:
            from roofcalc import views

            report.check_fit(resolved)
            limit = views.step_latency_target(min_speed, max_step)
            boundary = views.largest_batch_meeting(resolved, limit)
            if boundary.batch is None:
                raise RoofcalcError(f"no batch meets the target: {boundary.message}")
            target = {"max_step_latency_s": limit, "batch": boundary.batch, "binding": boundary.binding,
                      "message": boundary.message}
            resolved = scenario.resolve(resolved.request._replace(batch=boundary.batch))
            resolved.inputs["batch"]["source"] = f"largest batch meeting a step of at most {limit:.6g} s"
        result = report.calculate(resolved)
        if target is not None:
            result["target"] = target
        if target_throughput is not None:
            from roofcalc import views

            result.update(views.replicas_for(resolved, target_throughput, result["throughput_tokens_per_s"]))
        if draft_model is not None or mtp_params is not None:
            result["speculative"] = speculative_results(resolved, draft_model, mtp_params, draft_tokens, acceptance)
        if explain:
            from roofcalc.explain import explain as explain_steps

            result["explain"] = explain_steps(resolved, result)
    except RoofcalcError as error:
        fail(error)

    emit_warnings(result["warnings"])
    if output_format == "json":
        click.echo(to_json(result))
        return
    print_calc_table(result)
    if "speculative" in result:
        from roofcalc.render import print_speculative

        print_speculative(result["speculative"])
    if explain:
        print_explain(result["explain"])


def speculative_results(resolved, draft_model, mtp_params, draft_tokens, acceptance) -> dict:
    """Resolve the draft (a catalog model or an MTP head) and evaluate speculative decoding."""
    from roofcalc import catalog, dtypes, scenario, speculative

    if draft_model is not None and mtp_params is not None:
        raise click.UsageError("give either --draft-model or --mtp-params, not both")
    if acceptance is None:
        raise click.UsageError("speculative decoding needs --acceptance, the chance a drafted token is accepted (0 to 1)")
    if draft_model is not None:
        entry = catalog.find_entry(catalog.MODELS, draft_model)
        draft = scenario.resolve(resolved.request._replace(model=entry, total_params=None, active_params=None,
                                                           kv_bytes_per_token=None, weight_dtype=None)).workload
        label = entry.id
    else:
        bytes_per_weight = dtypes.bytes_per_element(resolved.inputs["weight_dtype"]["value"])
        draft = speculative.mtp_workload(mtp_params, bytes_per_weight)
        label = f"MTP head of {mtp_params / 1e9:.3g}B parameters"
    return speculative.evaluate(resolved, draft, label, draft_tokens, acceptance)


@cli.group()
def hardware() -> None:
    """List and show the accelerators in the catalog."""


@cli.group()
def models() -> None:
    """List and show the models in the catalog."""


def _catalog_or_fail(kind: str, file: str | None):
    from roofcalc import catalog

    try:
        return catalog.load_catalog(kind, (file,) if file else ())
    except RoofcalcError as error:
        fail(error)


def _list_command(kind: str, file: str | None, output_format: str) -> None:
    from roofcalc import render

    entries = _catalog_or_fail(kind, file).all()
    if kind == "hardware":
        records, columns, row = render.hardware_record, render.HARDWARE_LIST_COLUMNS, render.hardware_list_row
    else:
        records, columns, row = render.model_record, render.MODEL_LIST_COLUMNS, render.model_list_row
    if output_format == "json":
        click.echo(render.to_json([records(entry) for entry in entries]))
    else:
        render.print_records_table(columns, [row(entry) for entry in entries])


def _show_command(kind: str, name: str, file: str | None, output_format: str) -> None:
    from roofcalc import render

    try:
        entry = _catalog_or_fail(kind, file).get(name)
    except RoofcalcError as error:
        fail(error)
    record = render.hardware_record(entry) if kind == "hardware" else render.model_record(entry)
    if output_format == "json":
        click.echo(render.to_json(record))
    else:
        render.print_records_table(["field", "value"], render.detail_rows(record), fold=True)


FILE_OPTION_HELP = "Extra TOML file to add to the catalog."


@hardware.command("list")
@click.option("--hardware-file", type=click.Path(dir_okay=False), help=FILE_OPTION_HELP)
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True, help="Output format.")
def hardware_list(hardware_file, output_format) -> None:
    """List every accelerator: memory, bandwidth, dense FLOP/s and price.

    \b
    Example:
      roofcalc hardware list --format json | jq '.[].id'
    """
    _list_command("hardware", hardware_file, output_format)


@hardware.command("show")
@click.argument("hardware_id", metavar="ID")
@click.option("--hardware-file", type=click.Path(dir_okay=False), help=FILE_OPTION_HELP)
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True, help="Output format.")
def hardware_show(hardware_id, hardware_file, output_format) -> None:
    """Show one accelerator with every figure and its source.

    \b
    Example:
      roofcalc hardware show h100
    """
    _show_command("hardware", hardware_id, hardware_file, output_format)


@models.command("list")
@click.option("--model-file", type=click.Path(dir_okay=False), help=FILE_OPTION_HELP)
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True, help="Output format.")
def models_list(model_file, output_format) -> None:
    """List every model: parameters, layers, KV cache per token and context.

    \b
    Example:
      roofcalc models list --format json | jq '.[].id'
    """
    _list_command("models", model_file, output_format)


@models.command("show")
@click.argument("model_id", metavar="ID")
@click.option("--model-file", type=click.Path(dir_okay=False), help=FILE_OPTION_HELP)
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True, help="Output format.")
def models_show(model_id, model_file, output_format) -> None:
    """Show one model with every figure and its source.

    \b
    Example:
      roofcalc models show llama-3.1-70b
    """
    _show_command("models", model_id, model_file, output_format)


def _check_id(ctx, param, value):
    from roofcalc.catalog import ID_PATTERN

    if value is not None and not ID_PATTERN.match(value):
        raise click.BadParameter(f"invalid id {value!r}: use lowercase letters, digits, '.' and '-'")
    return value


@models.command("import")
@click.argument("config_path", metavar="PATH", type=click.Path(exists=True, dir_okay=False))
@click.option("--id", "model_id", callback=_check_id, help="Catalog id for the model. [default: the folder name of PATH]")
@click.option("--save", is_flag=True, help="Write the file into the user catalog instead of printing it.")
@click.option("--force", is_flag=True, help="With --save, replace an existing user file of the same id.")
def models_import(config_path, model_id, save, force) -> None:
    """Convert a Hugging Face config.json into a model TOML file.

    The file is read from disk; nothing is downloaded. Parameter counts are
    recomputed from the dimensions. The TOML goes to stdout, or with --save into
    $XDG_CONFIG_HOME/roofcalc/models/ID.toml.

    \b
    Example:
      roofcalc models import ./Qwen3-32B/config.json --id qwen3-32b-local --save
    """
    import os

    from roofcalc import catalog, hfconfig

    if force and not save:
        raise click.UsageError("--force only applies with --save")
    try:
        table = hfconfig.model_table(hfconfig.read_config(config_path), config_path, model_id)
        catalog.model_from_dict(table, config_path)
        existing = catalog.load_catalog(catalog.MODELS).find(table["id"]) if save else None
    except RoofcalcError as error:
        fail(error)
    if existing is not None and not force:
        fail(RoofcalcError(f"id {table['id']!r} already names {existing.id} from {existing.origin}",
                           hint="choose another --id, or pass --force to replace it in your catalog"))
    text = hfconfig.to_toml(table)
    if not save:
        click.echo(text, nl=False)
        return
    directory = catalog.user_directory(catalog.MODELS)
    target = os.path.join(directory, f"{table['id']}.toml")
    try:
        os.makedirs(directory, exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        fail(RoofcalcError(f"cannot write {target}: {error.strerror}", hint="check the folder's permissions or set XDG_CONFIG_HOME"))
    click.echo(f"saved {table['id']} to {target}", err=True)


def main() -> None:
    """Run the command line, exiting quietly when the reader of a pipe goes away."""
    try:
        cli(prog_name="roofcalc", standalone_mode=False)
        sys.stdout.flush()
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(ExitCode.ERROR)
    except BrokenPipeError:
        # The reader of the pipe went away; stop quietly, as other command-line tools do.
        sys.stderr.close()
        sys.exit(ExitCode.ERROR)
    except OSError as error:
        click.echo(f"error: cannot write the output: {error.strerror}", err=True)
        sys.exit(ExitCode.ERROR)

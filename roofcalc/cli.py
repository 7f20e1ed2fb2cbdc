"""The roofcalc command line: option parsing, catalog lookup, output and exit codes.

Exit codes: 0 success; 1 an input or scenario roofcalc cannot evaluate (unknown id,
invalid catalog file, weights that do not fit); 2 invalid command-line usage, as
click reports it (a malformed option value, a missing argument).
"""

from __future__ import annotations

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

    def __init__(self, parser, name: str, **options) -> None:
        self.parser = parser
        self.name = name
        self.options = options

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        try:
            return self.parser(value, what=self.name, **self.options)
        except InvalidQuantity as error:
            self.fail(str(error), param, ctx)


BYTES = Quantity(units.parse_bytes, "size")
BANDWIDTH = Quantity(units.parse_bandwidth, "bandwidth")
FLOPS = Quantity(units.parse_flops, "compute rate")
COUNT = Quantity(units.parse_count, "parameter count")
TOKENS = Quantity(units.parse_tokens, "token count")
PRICE = Quantity(units.parse_number, "price")
POWER = Quantity(units.parse_number, "power")
EFFICIENCY = Quantity(units.parse_number, "efficiency", maximum=1.0)
RESERVE = Quantity(units.parse_number, "memory reserve", allow_zero=True, maximum=0.99)


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

FORMATS = click.Choice(["table", "json"])


def fail(error: RoofcalcError) -> None:
    """Print `error` on stderr and exit 1."""
    click.echo(f"error: {error}", err=True)
    sys.exit(ExitCode.ERROR)


def emit_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
    return catalog.find_entry(kind, name, (file,) if file is not None else ())


@cli.command()
@click.option("--model", "-m", "model_id", metavar="ID", help="Model id or alias from `roofcalc models list`.")
@click.option("--model-file", type=click.Path(dir_okay=False), help="Model TOML file; used when --model is not given.")
@click.option("--model-config", type=click.Path(dir_okay=False), help="Hugging Face config.json of the model, read from disk.")
@click.option("--hardware", "-a", "hardware_id", metavar="ID", help="Accelerator id or alias from `roofcalc hardware list`.")
@click.option("--hardware-file", type=click.Path(dir_okay=False), help="Accelerator TOML file; used when --hardware is not given.")
@click.option("--gpus", "-n", type=click.IntRange(min=1), default=1, show_default=True, help="Accelerators acting as one device (tensor parallel).")
@click.option("--batch", "-b", type=click.IntRange(min=1), default=1, show_default=True, help="Sequences decoded together in one step.")
@click.option("--context", "-s", type=TOKENS, default="4096", show_default=True, help="Tokens of context each sequence holds; K = 1024.")
@click.option("--prompt-tokens", type=TOKENS, help="Prompt length for prefill and time to first token. [default: the context]")
@click.option("--output-tokens", type=TOKENS, help="Tokens generated per request; decode then averages over the growing context after the prompt.")
@click.option("--weight-dtype", type=WeightFormat(), help="Data type of the weights, block scales included. [default: the model's released type, else bf16]")
@click.option("--kv-dtype", type=click.Choice(dtypes.KV_DTYPES), default="bf16", show_default=True, help="Data type of the KV cache.")
@click.option("--compute-dtype", type=click.Choice(dtypes.COMPUTE_DTYPES), default="bf16", show_default=True, help="Data type of the matrix multiplies; picks the peak FLOP/s.")
@click.option("--emulate-as", type=click.Choice(dtypes.COMPUTE_DTYPES), help="Run a compute type the accelerator lacks at this type's peak FLOP/s.")
@click.option("--mbu", type=EFFICIENCY, help="Achieved share of peak memory bandwidth, 0 to 1. [default: 1, ideal]")
@click.option("--mfu", type=EFFICIENCY, help="Achieved share of peak FLOP/s, 0 to 1. [default: 1, ideal]")
@click.option("--memory-reserve", type=RESERVE, help="Share of memory kept free for activations and the runtime. [default: 0.1]")
@click.option("--bandwidth", type=BANDWIDTH, help="Memory bandwidth per accelerator, such as 3.35TB/s.")
@click.option("--flops", type=FLOPS, help="Dense peak per accelerator at the compute type, such as 989TFLOPS.")
@click.option("--memory", type=BYTES, help="Memory per accelerator, such as 80GB or 80GiB.")
@click.option("--params", type=COUNT, help="Total parameters, such as 70B.")
@click.option("--active-params", type=COUNT, help="Parameters used per token, such as 13B (mixture of experts).")
@click.option("--kv-bytes-per-token", type=BYTES, help="KV-cache size of one token, such as 320KiB.")
@click.option("--price", type=PRICE, help="Price in USD per accelerator-hour.")
@click.option("--tdp", type=POWER, help="Board power per accelerator in watts.")
@click.option("--format", "output_format", type=FORMATS, default="table", show_default=True, help="Output format.")
@click.pass_context
def calc(ctx: click.Context, model_id, model_file, model_config, hardware_id, hardware_file, gpus, batch, context, prompt_tokens,
         output_tokens, weight_dtype, kv_dtype, compute_dtype, emulate_as, mbu, mfu, memory_reserve, bandwidth, flops, memory, params,
         active_params, kv_bytes_per_token, price, tdp, output_format) -> None:
    """Estimate one decode step: latency, throughput, capacity and price.

    Give a model and an accelerator from the catalogs, or raw numbers with units,
    which also override catalog fields.

    \b
    Examples:
      roofcalc calc --model llama-3.1-70b --hardware h100-sxm --gpus 8 --batch 64
      roofcalc calc --bandwidth 3.35TB/s --flops 989TFLOPS --memory 80GB \\
        --params 70B --kv-bytes-per-token 320KiB --batch 64 --context 4096
    """
    from roofcalc import catalog, report, scenario
    from roofcalc.render import print_calc_table, to_json

    explicit = frozenset(
        f"--{name.replace('_', '-')}" for name in ctx.params
        if ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
    )
    try:
        if model_config is not None:
            from roofcalc import hfconfig

            model = hfconfig.load_model_config(model_config)
        else:
            model = _lookup(catalog.MODELS, model_id, model_file)
        request = scenario.Request(
            model=model,
            hardware=_lookup(catalog.HARDWARE, hardware_id, hardware_file),
            num_accelerators=gpus,
            batch=batch,
            context_tokens=context,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            weight_dtype=weight_dtype,
            kv_dtype=kv_dtype,
            compute_dtype=compute_dtype,
            emulate_as=emulate_as,
            mbu=mbu,
            mfu=mfu,
            memory_reserve=memory_reserve,
            bandwidth_bytes_per_s=bandwidth,
            flops_per_s=flops,
            memory_bytes=memory,
            total_params=params,
            active_params=active_params,
            kv_bytes_per_token=kv_bytes_per_token,
            price_usd_per_hour=price,
            tdp_w=tdp,
            explicit=explicit,
        )
        result = report.calculate(scenario.resolve(request))
    except RoofcalcError as error:
        fail(error)

    emit_warnings(result["warnings"])
    if output_format == "json":
        click.echo(to_json(result))
    else:
        print_calc_table(result)


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
        render.print_records_table(["field", "value"], render.detail_rows(record))


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


@models.command("import")
@click.argument("config_path", metavar="PATH", type=click.Path(dir_okay=False))
@click.option("--id", "model_id", help="Catalog id for the model. [default: the folder name of PATH]")
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

    try:
        table = hfconfig.model_table(hfconfig.read_config(config_path), config_path, model_id)
        catalog.model_from_dict(table, config_path)
    except RoofcalcError as error:
        fail(error)
    text = hfconfig.to_toml(table)
    if not save:
        click.echo(text, nl=False)
        return
    directory = catalog.user_directory(catalog.MODELS)
    target = os.path.join(directory, f"{table['id']}.toml")
    if os.path.exists(target) and not force:
        fail(RoofcalcError(f"{target} already exists", hint="pass --force to replace it, or choose another --id"))
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
        cli(prog_name="roofcalc")
    except BrokenPipeError:
        sys.stderr.close()
        sys.exit(ExitCode.ERROR)

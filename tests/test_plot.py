"""The sweep charts: the title, the plain-text plot, PNG and SVG files, and `sweep --plot`."""

import re
import sys
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from roofcalc import catalog, cli_views, plot, views
from roofcalc.cli import build_request, cli
from roofcalc.errors import RoofcalcError
from roofcalc.scenario import Request, resolve

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SWEEP = ["sweep", "-m", "llama-3.1-70b", "-a", "h100", "-n", "8"]
# Raw numbers without a price: Llama 3.1 70B-like weights on 4 H100-like accelerators.
RAW = ["--bandwidth", "3.35TB/s", "--memory", "80GB", "--params", "70B", "--kv-bytes-per-token", "320KiB", "-n", "4"]


def llama_scenario(**fields):
    model = catalog.find_entry(catalog.MODELS, "llama-3.1-70b")
    hardware = catalog.find_entry(catalog.HARDWARE, "h100-sxm")
    return resolve(Request(model=model, hardware=hardware, num_accelerators=8, **fields))


@pytest.fixture(scope="module")
def scenario():
    return llama_scenario()


@pytest.fixture(scope="module")
def rows(scenario):
    rows, _ = views.sweep(scenario)
    return rows


@pytest.fixture(scope="module")
def chart(scenario, rows):
    return plot.terminal_plot(rows, plot.chart_title(scenario))


def plot_area(text):
    """Return the chart rows between the y-axis title and the x axis, without tick labels."""
    lines = text.splitlines()
    top = next(index for index, line in enumerate(lines) if line.startswith(plot.PRICE_LABEL))
    bottom = next(index for index, line in enumerate(lines) if re.match(r"^ +\+[-+]", line))
    return [re.sub(r"^ *[\d.,]* [|+]", "", line) for line in lines[top + 1:bottom]]


def raw_scenario(*options):
    """Resolve raw numbers (and `options`) through the sweep command's own option parser."""
    context = cli_views.sweep.make_context("sweep", [*RAW, *options])
    return resolve(build_request(context, dict(context.params)))


def raw_rows(*options):
    rows, _ = views.sweep(raw_scenario(*options), [1, 8, 64])
    return rows


# Title.

def test_title_names_scenario(scenario):
    title = plot.chart_title(scenario)
    assert title.startswith("llama-3.1-70b on 8 × h100-sxm")
    assert "4,096-token context" in title
    assert "bf16 weights" in title
    assert "bf16 KV cache" in title
    assert "bf16 compute" in title
    assert "ideal MBU and MFU of 1" in title


def test_title_given_efficiency():
    title = plot.chart_title(llama_scenario(mbu=0.7, mfu=0.5, kv_dtype="fp8", context_tokens=8192))
    assert "MBU 0.7 and MFU 0.5 (given)" in title
    assert "fp8 KV cache" in title
    assert "8,192-token context" in title


def test_title_one_efficiency_given():
    title = plot.chart_title(llama_scenario(mbu=0.8))
    assert "MBU 0.8 (given)" in title
    assert "MFU 1 (ideal)" in title


def test_title_generation_lengths():
    title = plot.chart_title(llama_scenario(prompt_tokens=1000, output_tokens=500))
    assert "1,000-token prompt and 500 output tokens" in title


def test_title_raw_numbers():
    title = plot.chart_title(raw_scenario("--flops", "989TFLOPS"))
    assert title.startswith("70B-parameter model on 4 × custom accelerator")


# Terminal chart.

def test_terminal_plot_fits_80_columns(chart):
    widths = [len(line) for line in chart.splitlines()]
    assert max(widths) <= 80


def test_terminal_plot_height(chart):
    assert len(plot_area(chart)) == plot.PLOT_HEIGHT


def test_terminal_plot_axis_labels(chart):
    assert "USD per million output tokens (log scale)" in chart
    assert "tokens/s per user" in chart


def test_terminal_plot_y_ticks(rows, chart):
    # Batch 1 costs about 50 times the max batch, so the y ticks are 1, 2 and 5 × 10^k.
    prices = [row["price_per_million_output_tokens_usd"] for row in rows]
    candidates = [factor * 10.0 ** exponent for exponent in range(-2, 4) for factor in (1, 2, 5)]
    expected = [f"{value:g}" for value in reversed(candidates) if min(prices) <= value <= max(prices)]
    y_ticks = re.findall(r"^ *([\d.]+) \+", chart, flags=re.MULTILINE)
    assert y_ticks == expected


def test_terminal_plot_x_ticks(rows, chart):
    speeds = [row["tokens_per_s_per_user"] for row in rows]
    lines = chart.splitlines()
    axis_index = next(index for index, line in enumerate(lines) if re.match(r"^ +\+[-+]", line))
    x_ticks = [float(text.replace(",", "")) for text in lines[axis_index + 1].split()]
    steps = {round(second - first, 9) for first, second in zip(x_ticks, x_ticks[1:])}
    assert len(x_ticks) >= 3
    assert len(steps) == 1
    assert min(speeds) <= x_ticks[0]
    assert x_ticks[-1] <= max(speeds)


def test_terminal_plot_draws_marked_points(rows, chart):
    area = "\n".join(plot_area(chart))
    assert area.count(plot.SYMBOLS[plot.CROSSOVER]) == 1
    assert area.count(plot.SYMBOLS[plot.MAX_BATCH]) == 1
    unmarked = [row for row in rows if row["marker"] is None]
    assert area.count(plot.SYMBOLS[plot.POINT]) == len(unmarked)


def test_terminal_plot_legend(rows, chart):
    crossover = next(row for row in rows if row["marker"] == "crossover")
    max_batch = next(row for row in rows if row["marker"] == "max batch")
    assert "C  crossover batch" in chart
    assert f"batch {crossover['batch']}: {crossover['tokens_per_s_per_user']:.1f} tokens/s per user" in chart
    assert "M  max batch that fits in memory" in chart
    assert f"batch {max_batch['batch']}: {max_batch['tokens_per_s_per_user']:.1f} tokens/s per user" in chart
    assert "o  point of the sweep" in chart
    assert ".  line through the points in batch order" in chart


def test_terminal_plot_cheapest_at_bottom_left(chart):
    area = plot_area(chart)
    assert area[-1].startswith(plot.SYMBOLS[plot.MAX_BATCH])
    assert area[0].rstrip().endswith(plot.SYMBOLS[plot.POINT])


def test_terminal_plot_crossover_at_max_batch(rows):
    # views.sweep marks one row "crossover, max batch" when the two batches coincide.
    merged = [dict(row) for row in rows if row["marker"] != "crossover"]
    merged[-1]["marker"] = "crossover, max batch"
    chart = plot.terminal_plot(merged, "merged")
    area = "\n".join(plot_area(chart))
    assert area.count(plot.SYMBOLS[plot.BOTH]) == 1
    assert plot.SYMBOLS[plot.MAX_BATCH] not in area
    assert "@  crossover batch, which is also the max batch" in chart


def test_terminal_plot_linear_when_narrow(scenario):
    rows, _ = views.sweep(scenario, list(range(200, 321, 20)))
    prices = [row["price_per_million_output_tokens_usd"] for row in rows]
    assert max(prices) / min(prices) < 2
    chart = plot.terminal_plot(rows, "narrow")
    assert "(log scale)" not in chart
    assert "USD per million output tokens" in chart


def test_terminal_plot_over_memory(scenario):
    rows, _ = views.sweep(scenario, [1, 64, 1000])
    chart = plot.terminal_plot(rows, "over memory")
    area = "\n".join(plot_area(chart))
    assert area.count(plot.SYMBOLS[plot.OVER_MEMORY]) == 1
    assert "x  batch over the max batch" in chart


def test_terminal_plot_context_sweep_note(scenario):
    rows, _ = views.sweep(scenario, [1, 16], [1024, 8192])
    chart = plot.terminal_plot(rows, plot.chart_title(scenario))
    assert "contexts vary from 1,024 to 8,192 tokens (one line per context)" in chart


def test_terminal_plot_context_line_at_one_batch(scenario):
    rows, _ = views.sweep(scenario, [8], [1024, 4096, 16384])
    chart = plot.terminal_plot(rows, plot.chart_title(scenario))
    assert "contexts vary from 1,024 to 16,384 tokens (along the line)" in chart
    assert ".  line through the points in context order" in chart


def test_terminal_plot_skips_rows_without_values(rows):
    damaged = [dict(row) for row in rows]
    damaged[0]["price_per_million_output_tokens_usd"] = None
    damaged[1]["tokens_per_s_per_user"] = None
    assert len(plot.plottable_points(damaged)) == len(rows) - 2
    area = "\n".join(plot_area(plot.terminal_plot(damaged, "skipped")))
    unmarked = [row for row in rows if row["marker"] is None]
    assert area.count(plot.SYMBOLS[plot.POINT]) == len(unmarked) - 2


def test_terminal_plot_without_price_raises():
    rows = raw_rows("--flops", "989TFLOPS")
    assert all(row["price_per_million_output_tokens_usd"] is None for row in rows)
    with pytest.raises(RoofcalcError) as caught:
        plot.terminal_plot(rows, "no price")
    assert "no row has a price" in caught.value.message
    assert "--price" in caught.value.hint


def test_terminal_plot_without_flops_raises():
    rows = raw_rows("--price", "4")
    with pytest.raises(RoofcalcError) as caught:
        plot.terminal_plot(rows, "no FLOP/s")
    assert "per-user speed" in caught.value.message
    assert "--flops" in caught.value.hint


def test_terminal_plot_without_rows_raises():
    with pytest.raises(RoofcalcError, match="no rows"):
        plot.terminal_plot([], "empty")


# Ticks.

def test_log_ticks_decades():
    assert plot.log_ticks(0.716, 55.4) == [1, 2, 5, 10, 20, 50]


def test_log_ticks_wide_range_keeps_powers_of_ten():
    assert plot.log_ticks(0.01, 1000) == [0.01, 0.1, 1, 10, 100, 1000]


def test_linear_ticks_round_values():
    assert plot.linear_ticks(1.0017, 1.1487) == [1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.14]


def test_single_point_axis_widens():
    axis = plot.make_axis([5.0], log=False, cells=10)
    assert axis.low < 5.0 < axis.high


# Files.

def test_png_file(rows, tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    path = tmp_path / "sweep.png"
    plot.write_plot_file(rows, path, "png test")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert width >= 800
    assert height >= 500
    assert width > height


def test_png_file_without_marked_points(scenario, tmp_path):
    pytest.importorskip("matplotlib")
    rows, _ = views.sweep(scenario, [1, 8, 64])
    path = tmp_path / "plain.png"
    plot.write_plot_file(rows, path, "no crossover or max batch")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_png_file_context_sweep(scenario, tmp_path):
    pytest.importorskip("matplotlib")
    rows, _ = views.sweep(scenario, [1, 16], [1024, 8192])
    path = tmp_path / "contexts.png"
    plot.write_plot_file(rows, path, "two contexts")
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_svg_file(rows, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "sweep.svg"
    plot.write_plot_file(rows, str(path), "svg test")
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_svg_suffix_ignores_case(rows, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "sweep.SVG"
    plot.write_plot_file(rows, path, "svg test")
    assert ET.parse(path).getroot().tag.endswith("svg")


def test_unknown_suffix_raises(rows, tmp_path):
    path = tmp_path / "sweep.jpg"
    with pytest.raises(RoofcalcError) as caught:
        plot.write_plot_file(rows, path, "jpg")
    assert "'.jpg'" in caught.value.message
    assert ".png or .svg" in caught.value.hint
    assert not path.exists()


def test_missing_suffix_raises(rows, tmp_path):
    with pytest.raises(RoofcalcError, match="no suffix"):
        plot.write_plot_file(rows, tmp_path / "sweep", "none")


def test_unwritable_path_raises(rows, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "missing" / "sweep.png"
    with pytest.raises(RoofcalcError) as caught:
        plot.write_plot_file(rows, path, "unwritable")
    assert str(path) in caught.value.message
    assert "No such file or directory" in caught.value.message


def test_file_without_price_raises(tmp_path):
    with pytest.raises(RoofcalcError, match="no row has a price"):
        plot.write_plot_file(raw_rows("--flops", "989TFLOPS"), tmp_path / "sweep.png", "no price")


def test_missing_matplotlib_raises(rows, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(RoofcalcError) as caught:
        plot.write_plot_file(rows, tmp_path / "sweep.png", "no matplotlib")
    assert caught.value.message == "matplotlib is not installed"
    assert caught.value.hint == "pip install 'roofcalc[plot]'"


# Command line.

def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_plot():
    result = run(*SWEEP, "--plot")
    assert result.exit_code == 0
    assert result.stdout.startswith("llama-3.1-70b on 8 × h100-sxm")
    assert "USD per million output tokens (log scale)" in result.stdout
    assert "M  max batch that fits in memory" in result.stdout
    assert "step ms" not in result.stdout  # the chart replaces the table
    assert "warning: MBU and MFU are at the ideal 1.0" in result.stderr


def test_cli_plot_file(tmp_path):
    path = tmp_path / "sweep.png"
    result = run(*SWEEP, "--plot-file", str(path))
    assert result.exit_code == 0
    assert path.exists()
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert f"wrote {path}" in result.stderr
    assert "step ms" in result.stdout  # the table still goes to stdout


def test_cli_plot_without_price():
    result = run("sweep", *RAW, "--flops", "989TFLOPS", "--plot")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "error: nothing to plot: no row has a price" in result.stderr
    assert "hint: pass --price" in result.stderr


def test_cli_plot_file_bad_suffix(tmp_path):
    result = run(*SWEEP, "--plot-file", str(tmp_path / "sweep.gif"))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "does not end in .png or .svg" in result.stderr

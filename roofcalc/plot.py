"""Charts of price per million output tokens against per-user speed, for `roofcalc sweep`.

`terminal_plot` draws the chart in plain text and needs nothing beyond the standard
library. `write_plot_file` draws it with matplotlib, the optional `roofcalc[plot]`
extra, which is imported only when a file is written.
"""

from __future__ import annotations

import math
import os
import textwrap
from typing import NamedTuple

from roofcalc.errors import RoofcalcError

PRICE_KEY = "price_per_million_output_tokens_usd"
SPEED_KEY = "tokens_per_s_per_user"
SPEED_LABEL = "tokens/s per user"
PRICE_LABEL = "USD per million output tokens"
# A price axis that spans more than this ratio is drawn on a log scale.
LOG_SCALE_RATIO = 10.0
FILE_SUFFIXES = (".png", ".svg")

POINT, CROSSOVER, MAX_BATCH, BOTH, OVER_MEMORY = "point", "crossover", "max batch", "crossover and max batch", "over memory"
# Terminal symbol of each kind of point, and of the line drawn between points.
SYMBOLS = {POINT: "o", CROSSOVER: "C", MAX_BATCH: "M", BOTH: "@", OVER_MEMORY: "x"}
LINE_SYMBOL = "."
LEGEND_TEXT = {
    POINT: "point of the sweep",
    CROSSOVER: "crossover batch, where the linear layers turn compute-bound",
    MAX_BATCH: "max batch that fits in memory",
    BOTH: "crossover batch, which is also the max batch",
    OVER_MEMORY: "batch over the max batch (does not fit in memory)",
}
# When two points fall on one terminal cell, the kind listed later is drawn.
DRAW_ORDER = (POINT, OVER_MEMORY, CROSSOVER, MAX_BATCH, BOTH)

TERMINAL_WIDTH = 80
PLOT_HEIGHT = 20


class Point(NamedTuple):
    """One sweep row that has both a per-user speed and a price."""

    speed: float  # tokens/s per user
    price: float  # USD per million output tokens
    batch: int
    context: int
    kind: str  # a key of SYMBOLS


def chart_title(scenario) -> str:
    """Return a one-line title naming the model, the accelerator group, the context, data types and MBU/MFU."""
    inputs = scenario.inputs

    def value(name):
        return inputs[name]["value"]

    model = value("model")
    if model is None:
        model = f"{value('total_params') / 1e9:g}B-parameter model"
    hardware = value("hardware") or "custom accelerator"
    if value("output_tokens") is not None:
        context = f"{value('prompt_tokens'):,}-token prompt and {value('output_tokens'):,} output tokens"
    else:
        context = f"{value('context_tokens'):,}-token context"
    dtypes = f"{value('weight_dtype')} weights, {value('kv_dtype')} KV cache, {value('compute_dtype')} compute"
    return f"{model} on {value('num_accelerators')} × {hardware}: {context}, {dtypes}, {_efficiency_text(scenario)}"


def _efficiency_text(scenario) -> str:
    # The request's own fields say whether MBU and MFU were given. The inputs' sources can
    # read "default" for a given value, because a Request built in Python lists no explicit options.
    request = scenario.request
    default_label = "typical" if getattr(request, "efficiency", "ideal") == "typical" else "ideal"
    figures = []
    for name, requested in (("MBU", request.mbu), ("MFU", request.mfu)):
        label = default_label if requested is None else "given"
        figures.append((name, scenario.inputs[name.lower()]["value"], label))
    (_, mbu, mbu_label), (_, mfu, mfu_label) = figures
    if mbu_label == mfu_label == "ideal":
        return f"ideal MBU and MFU of {mbu:g}"
    if mbu_label == mfu_label:
        return f"MBU {mbu:.3g} and MFU {mfu:.3g} ({mbu_label})"
    return " and ".join(f"{name} {value:.3g} ({label})" for name, value, label in figures)


def _kind(marker: str | None) -> str:
    marker = marker or ""
    if "crossover" in marker and "max batch" in marker:
        return BOTH
    if "crossover" in marker:
        return CROSSOVER
    if "max batch" in marker:
        return MAX_BATCH
    if "over memory" in marker:
        return OVER_MEMORY
    return POINT


def plottable_points(rows: list[dict]) -> list[Point]:
    """Return the rows that have a speed and a price as Points.

    Raises RoofcalcError when no row has both, with the option that would supply the
    missing input.
    """
    points = [
        Point(float(row[SPEED_KEY]), float(row[PRICE_KEY]), int(row["batch"]), int(row["context_tokens"]), _kind(row.get("marker")))
        for row in rows
        if row.get(SPEED_KEY) is not None and row.get(PRICE_KEY) is not None
    ]
    if points:
        return points
    if not rows:
        raise RoofcalcError("nothing to plot: the sweep returned no rows")
    if all(row.get(SPEED_KEY) is None for row in rows):
        raise RoofcalcError(
            "nothing to plot: no row has a per-user speed because the peak FLOP/s is unknown",
            hint="pass --flops such as 989TFLOPS",
        )
    raise RoofcalcError(
        "nothing to plot: no row has a price per million output tokens because the accelerator has no price",
        hint="pass --price with the price in USD per accelerator-hour",
    )


def uses_log_scale(prices: list[float]) -> bool:
    """Return True when the prices are all positive and span more than LOG_SCALE_RATIO."""
    low, high = min(prices), max(prices)
    return low > 0 and high / low > LOG_SCALE_RATIO


def series(points: list[Point]) -> list[list[Point]]:
    """Split the points into the lines to draw through them.

    A batch sweep gives one line per context, in batch order. A context sweep at one
    batch gives a single line in context order.
    """
    if line_order(points) == "context":
        return [sorted(points, key=lambda point: point.context)]
    by_context: dict[int, list[Point]] = {}
    for point in points:
        by_context.setdefault(point.context, []).append(point)
    return [sorted(group, key=lambda point: point.batch) for _, group in sorted(by_context.items())]


def line_order(points: list[Point]) -> str:
    """Return the key the lines follow: "context" when every point has one batch, else "batch"."""
    several_contexts = len({point.context for point in points}) > 1
    return "context" if several_contexts and len({point.batch for point in points}) == 1 else "batch"


def context_note(points: list[Point]) -> str | None:
    """Return a note on the range of contexts when the points span several, else None.

    The chart title names the scenario's one context, so a context sweep needs this note.
    """
    contexts = sorted({point.context for point in points})
    if len(contexts) == 1:
        return None
    layout = "along the line" if line_order(points) == "context" else "one line per context"
    return f"contexts vary from {contexts[0]:,} to {contexts[-1]:,} tokens ({layout})"


def marked_point_text(point: Point) -> str:
    return f"batch {point.batch:,}: {point.speed:,.1f} {SPEED_LABEL}, ${point.price:,.3g} per million"


# Terminal chart.

class Axis(NamedTuple):
    """A linear or log mapping from a data range onto `cells` terminal cells."""

    low: float
    high: float
    log: bool
    cells: int

    def cell(self, value: float) -> int:
        """Return the cell index of `value`, 0 at `low` and cells − 1 at `high`."""
        if self.log:
            fraction = (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        else:
            fraction = (value - self.low) / (self.high - self.low)
        # Rounding at extreme magnitudes can land a tick a hair outside the axis; keep the
        # character inside the chart.
        return min(max(round(fraction * (self.cells - 1)), 0), self.cells - 1)


def make_axis(values: list[float], log: bool, cells: int) -> Axis:
    """Return an axis over the values' range, widened when all the values are equal."""
    low, high = min(values), max(values)
    if low == high:
        if log:
            low, high = low / 2, high * 2
        else:
            spread = abs(low) * 0.1 or 1.0
            low, high = low - spread, high + spread
    return Axis(low, high, log, cells)


def linear_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Return round values (1, 2 or 5 × 10^k apart) from low to high, about `target` of them."""
    raw_step = (high - low) / target
    magnitude = 10.0 ** math.floor(math.log10(raw_step))
    # The round step nearest the raw one on a log scale is within a factor of 1.6 of it,
    # so the tick count stays within about that factor of `target`.
    step = min((factor * magnitude for factor in (1, 2, 5, 10)), key=lambda candidate: abs(math.log(candidate / raw_step)))
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(index * step, 12) for index in range(first, last + 1)]


def log_ticks(low: float, high: float) -> list[float]:
    """Return the values 1, 2 and 5 × 10^k from low to high, or only the powers of 10 when that gives more than 7."""
    decades = range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
    ticks = [factor * 10.0 ** decade for decade in decades for factor in (1, 2, 5)]
    ticks = [tick for tick in ticks if low * (1 - 1e-9) <= tick <= high * (1 + 1e-9)]
    if len(ticks) > 7:
        ticks = [tick for tick in ticks if math.log10(tick) == round(math.log10(tick))]
    return ticks


def axis_ticks(axis: Axis) -> list[float]:
    return log_ticks(axis.low, axis.high) if axis.log else linear_ticks(axis.low, axis.high)


def tick_label(value: float) -> str:
    return f"{value:,.6g}"


def draw_line(grid: list[list[str]], start: tuple[int, int], end: tuple[int, int]) -> None:
    """Fill the empty cells on the straight line from `start` to `end` (row, column) with LINE_SYMBOL."""
    steps = max(abs(end[0] - start[0]), abs(end[1] - start[1]))
    for step in range(1, steps):
        row = round(start[0] + (end[0] - start[0]) * step / steps)
        column = round(start[1] + (end[1] - start[1]) * step / steps)
        if grid[row][column] == " ":
            grid[row][column] = LINE_SYMBOL


def terminal_plot(rows: list[dict], title: str) -> str:
    """Draw price per million output tokens against per-user speed as plain text.

    The chart is at most TERMINAL_WIDTH columns wide and PLOT_HEIGHT rows high, plus the
    title, axis labels and legend. Ticks sit on the nearest cell, so they are exact only
    to a cell. Raises RoofcalcError when no row has both a speed and a price.
    """
    points = plottable_points(rows)
    prices = [point.price for point in points]
    log = uses_log_scale(prices)
    y_axis = make_axis(prices, log, PLOT_HEIGHT)
    y_labels = {PLOT_HEIGHT - 1 - y_axis.cell(tick): tick_label(tick) for tick in axis_ticks(y_axis)}
    label_width = max(len(label) for label in y_labels.values()) if y_labels else 1
    # Two columns for the space and the axis, and one spare so that the last x tick label fits.
    plot_width = TERMINAL_WIDTH - label_width - 3
    x_axis = make_axis([point.speed for point in points], False, plot_width)

    grid = [[" "] * plot_width for _ in range(PLOT_HEIGHT)]

    def cell_of(point: Point) -> tuple[int, int]:
        return PLOT_HEIGHT - 1 - y_axis.cell(point.price), x_axis.cell(point.speed)

    for line in series(points):
        for first, second in zip(line, line[1:]):
            draw_line(grid, cell_of(first), cell_of(second))
    for kind in DRAW_ORDER:
        for point in points:
            if point.kind == kind:
                row, column = cell_of(point)
                grid[row][column] = SYMBOLS[kind]

    lines = textwrap.wrap(title, TERMINAL_WIDTH)
    note = context_note(points)
    if note:
        lines.append(note)
    lines.append("")
    lines.append(f"{PRICE_LABEL}" + (" (log scale)" if log else ""))
    for row in range(PLOT_HEIGHT):
        label = y_labels.get(row, "")
        axis_symbol = "+" if label else "|"
        lines.append(f"{label:>{label_width}} {axis_symbol}{''.join(grid[row])}".rstrip())
    lines.extend(x_axis_lines(x_axis, label_width + 2))
    lines.append("")
    lines.extend(legend_lines(points))
    return "\n".join(lines)


def x_axis_lines(axis: Axis, indent: int) -> list[str]:
    """Return the x axis, its tick labels and its title, starting `indent` columns in."""
    rule = ["-"] * axis.cells
    labels = [" "] * (axis.cells + indent)
    next_free = 0
    for tick in axis_ticks(axis):
        column = axis.cell(tick)
        rule[column] = "+"
        text = tick_label(tick)
        start = min(indent + column - len(text) // 2, len(labels) - len(text))
        if start < next_free:
            continue  # would overlap the previous label
        labels[start:start + len(text)] = text
        next_free = start + len(text) + 1
    axis_line = " " * (indent - 1) + "+" + "".join(rule)
    title = SPEED_LABEL.center(axis.cells).rstrip()
    return [axis_line, "".join(labels).rstrip(), " " * indent + title]


def legend_lines(points: list[Point]) -> list[str]:
    """Return one legend line per kind of point drawn, and a line of figures for each marked point."""
    lines = [f"{SYMBOLS[POINT]}  {LEGEND_TEXT[POINT]}    {LINE_SYMBOL}  line through the points in {line_order(points)} order"]
    for kind in (CROSSOVER, MAX_BATCH, BOTH):
        for point in points:
            if point.kind == kind:
                lines.append(f"{SYMBOLS[kind]}  {LEGEND_TEXT[kind]}")
                lines.append(f"   {marked_point_text(point)}")
    if any(point.kind == OVER_MEMORY for point in points):
        lines.append(f"{SYMBOLS[OVER_MEMORY]}  {LEGEND_TEXT[OVER_MEMORY]}")
    return lines


# Image file.

MARKER_STYLES = {
    # kind: (matplotlib marker, colour, size in points squared)
    CROSSOVER: ("D", "tab:orange", 70),
    MAX_BATCH: ("s", "tab:red", 70),
    BOTH: ("*", "tab:red", 160),
    OVER_MEMORY: ("x", "tab:gray", 50),
}


def write_plot_file(rows: list[dict], path, title: str) -> None:
    """Write the chart of `terminal_plot` to a PNG or SVG file, chosen by the suffix of `path`.

    Raises RoofcalcError for another suffix, when matplotlib is not installed, when no
    row has a speed and a price, or when the file cannot be written.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in FILE_SUFFIXES:
        suffix_text = repr(suffix) if suffix else "no suffix"
        raise RoofcalcError(
            f"unsupported plot file type {suffix_text} in {path}",
            hint=f"use a path ending in {' or '.join(FILE_SUFFIXES)}",
        )
    points = plottable_points(rows)
    try:
        import matplotlib  # noqa: F401  (imported first so that a missing package raises here)
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    except ImportError:
        raise RoofcalcError("matplotlib is not installed", hint="pip install 'roofcalc[plot]'") from None

    # A Figure with its own Agg canvas leaves pyplot's global backend alone and never
    # opens a window. SVG output switches to matplotlib's SVG canvas for the save.
    figure = Figure(figsize=(9, 6), dpi=150, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()

    lines = series(points)
    several = len(lines) > 1
    order = line_order(points)
    for line in lines:
        if several:
            label = f"{line[0].context:,} tokens"
        else:
            label = "sweep, each point labelled with its " + ("context in tokens" if order == "context" else "batch")
        axes.plot([point.speed for point in line], [point.price for point in line], "o-", markersize=4, linewidth=1.2,
                  color=None if several else "tab:blue", label=label, zorder=2)
    if not several:
        for point in lines[0]:
            if point.kind == POINT:
                text = f"{point.context:,}" if order == "context" else f"{point.batch:,}"
                axes.annotate(text, (point.speed, point.price), xytext=(4, 4), textcoords="offset points",
                              fontsize=7, color="dimgray")

    _draw_marked_points(axes, points)

    if uses_log_scale([point.price for point in points]):
        axes.set_yscale("log")
        axes.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_minor_formatter(NullFormatter())
        axes.set_ylabel(f"Price ({PRICE_LABEL}, log scale)")
    else:
        axes.set_ylabel(f"Price ({PRICE_LABEL})")
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"${value:,.6g}"))
    axes.set_xlabel(f"Per-user decode speed ({SPEED_LABEL})")
    axes.grid(True, which="major", alpha=0.3)
    axes.legend(loc="best", fontsize=8)

    heading = "\n".join(textwrap.wrap(title, 90))
    note = context_note(points)
    if note:
        heading += "\n" + note
    axes.set_title(heading, fontsize=10)

    try:
        figure.savefig(path, format=suffix[1:])
    except OSError as error:
        raise RoofcalcError(f"failed to write plot file {path}: {error.strerror or error}") from None


def _draw_marked_points(axes, points: list[Point]) -> None:
    """Draw the crossover, max-batch and over-memory points with their own markers, and label the first two."""
    # Both points sit at the slow, cheap end of the curve, often a few tokens/s apart at
    # one price, so their labels go above and to the right at two different heights.
    offsets = {CROSSOVER: (40, 35), MAX_BATCH: (0, 80), BOTH: (40, 35)}
    for kind, (marker, colour, size) in MARKER_STYLES.items():
        chosen = [point for point in points if point.kind == kind]
        if not chosen:
            continue
        axes.scatter([point.speed for point in chosen], [point.price for point in chosen], marker=marker, color=colour,
                     s=size, zorder=3, label=LEGEND_TEXT[kind])
        if kind not in offsets:
            continue
        for point in chosen:
            axes.annotate(
                f"{kind}\nbatch {point.batch:,}: {point.speed:,.1f} tok/s, ${point.price:,.3g}/M",
                (point.speed, point.price), xytext=offsets[kind], textcoords="offset points",
                fontsize=8, color=colour,
                arrowprops={"arrowstyle": "-", "color": colour, "linewidth": 0.8, "relpos": (0.0, 0.0)},
            )

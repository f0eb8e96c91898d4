"""The impact report as pictures (matplotlib, drawn off-screen): participation week by week against the 10–20 %
benchmark, what people did, and each campaign's progress — one picture of all the panels for a chat or a mail, or one
picture per panel for a page that puts them side by side on a screen and one under the other on a phone."""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING, Callable

from bot.core.i18n import N_, Translator
from bot.core.render import percent_of
from bot.services.report import BENCHMARK, Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _pyplot():
    """matplotlib, imported when a chart is drawn (half a second that a start does not need)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: PNG only, from any thread or process
    import matplotlib.pyplot as plt

    return plt

BLUE, GREEN, GREY, ORANGE = "#0b57d0", "#0b7a3b", "#9aa3ad", "#c26401"
ACTION_LABELS = {"follow": N_("follows"), "vote": N_("votes"), "answer": N_("prompt answers"), "news": N_("news"),
                 "step": N_("next steps"), "pledge": N_("pledge links"), "promise": N_("promises"), "meeting": N_("meeting answers")}
# Sizes read on a phone: a picture 650 px wide shown at 360–400 px keeps its smallest text at 11–12 px.
WIDTH, HEIGHT, DPI = 5.0, 3.4, 130
TITLE, TEXT, SMALL = 13, 12, 11


def chart(t: Translator, report: Report) -> bytes:
    """One PNG of every panel, one under the other (a chat's photo, a mail's image), labelled in the reader's language."""
    draw = _panels(report)
    plt = _pyplot()
    fig: Figure = plt.figure(figsize=(WIDTH, HEIGHT * len(draw)), dpi=DPI)
    try:
        for n, panel in enumerate(draw, 1):
            panel(t, report, fig.add_subplot(len(draw), 1, n))
        fig.tight_layout(h_pad=2.0)
        return _png(fig)
    finally:
        plt.close(fig)


def panels(t: Translator, report: Report) -> list[bytes]:
    """Each panel as a PNG of its own, for a page that lays them out to the screen's width."""
    out = []
    for panel in _panels(report):
        height = 1.6 + 0.7 * len(report.funding) if panel is _campaigns else HEIGHT
        plt = _pyplot()
        fig: Figure = plt.figure(figsize=(WIDTH, height), dpi=DPI)
        try:
            panel(t, report, fig.add_subplot(1, 1, 1))
            fig.tight_layout()
            out.append(_png(fig))
        finally:
            plt.close(fig)
    return out


def _panels(report: Report) -> list[Callable[[Translator, Report, Axes], None]]:
    return [_participation, _actions, *([_campaigns] if report.funding else [])]


def _percent(t: Translator, value: float) -> str:
    return t(N_("{percent}%"), percent=f"{value:.0f}")


def _participation(t: Translator, report: Report, ax: Axes) -> None:
    labels = [t.date(w.start, "d MMM") for w in report.weeks]
    x = list(range(len(report.weeks)))
    ax.axhspan(BENCHMARK[0], BENCHMARK[1], color=GREEN, alpha=0.12, label=t(N_("lively community (10–20 %)")))
    values = [w.participation for w in report.weeks]
    bars = ax.bar(x, values, color=[BLUE if v >= BENCHMARK[0] else GREY for v in values])
    for bar, week in zip(bars, report.weeks):
        if week.active:
            ax.annotate(str(week.active), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                        fontsize=SMALL, color="#333333")
    ax.set_title(_wrapped(t(N_("Members who took part, week by week (% of {count})"), count=report.members)), fontsize=TITLE, loc="left")
    ax.set_ylim(0, max(25.0, max(values, default=0) * 1.25))
    _weeks(ax, x, labels)
    ax.yaxis.set_major_formatter(lambda v, _: _percent(t, v))
    ax.tick_params(axis="y", labelsize=SMALL)
    ax.legend(loc="upper left", fontsize=SMALL, frameon=False)
    _clean(ax)


def _actions(t: Translator, report: Report, ax: Axes) -> None:
    labels = [t.date(w.start, "d MMM") for w in report.weeks]
    x = list(range(len(report.weeks)))
    kinds = [k for k in ACTION_LABELS if any(w.actions.get(k) for w in report.weeks)]
    bottom = [0] * len(x)
    palette = [BLUE, GREEN, ORANGE, "#7b1fa2", "#00838f", "#ad1457", "#5d4037", "#455a64"]
    for colour, kind in zip(palette, kinds):
        counts = [w.actions.get(kind, 0) for w in report.weeks]
        ax.bar(x, counts, bottom=bottom, color=colour, label=t(ACTION_LABELS[kind]))
        bottom = [b + c for b, c in zip(bottom, counts)]
    ax.set_title(t(N_("What members did")), fontsize=TITLE, loc="left")
    _weeks(ax, x, labels)
    ax.tick_params(axis="y", labelsize=SMALL)
    if kinds:  # under the bars, where it hides none of them
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=SMALL, frameon=False, ncol=min(2, len(kinds)))
    else:
        ax.text(0.5, 0.5, t(N_("Nothing yet")), ha="center", va="center", transform=ax.transAxes, color=GREY, fontsize=TEXT)
    _clean(ax)


def _campaigns(t: Translator, report: Report, ax: Axes) -> None:
    """Each campaign's share of its goal, raised and promised, with its figures written at the end of its bar and the
    legend under the axis (it covers no bar)."""
    names = [f.title for f in report.funding]
    raised = [percent_of(f.raised, f.goal) for f in report.funding]
    promised = [percent_of(f.promised, f.goal) for f in report.funding]
    y = list(range(len(names)))
    ax.barh(y, raised, height=0.42, color=BLUE, label=t(N_("raised")))
    ax.barh(y, promised, height=0.42, left=raised, color=BLUE, alpha=0.35, label=t(N_("promised")))
    ax.axvline(100, color=GREY, linewidth=1)
    for n, (name, done, more) in enumerate(zip(names, raised, promised)):
        # The campaign's name above its bar (the whole width is the bar's), its figures at the bar's end.
        ax.annotate(name, (0, n - 0.24), xytext=(0, 3), textcoords="offset points", va="bottom", ha="left", fontsize=TEXT)
        label = _percent(t, done) + (" + " + _percent(t, more) if more else "")
        ax.annotate(label, (done + more, n), xytext=(6, 0), textcoords="offset points", va="center", fontsize=TEXT,
                    color="#1d1d1f", fontweight="bold")
    ax.set_xlim(0, max(110.0, max((r + p for r, p in zip(raised, promised)), default=0) * 1.3))
    ax.set_ylim(len(names) - 0.5, -0.9)  # room above the first bar for its name
    ax.set_yticks([])
    ax.xaxis.set_major_formatter(lambda v, _: _percent(t, v))
    ax.tick_params(axis="x", labelsize=SMALL)
    ax.set_title(_wrapped(t(N_("Campaigns: share of the goal"))), fontsize=TITLE, loc="left")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=SMALL, frameon=False, ncol=2)
    _clean(ax)


def _weeks(ax: Axes, x: list[int], labels: list[str]) -> None:
    """Week labels that stay readable: every other one when there are many."""
    step = 1 if len(x) <= 6 else 2 if len(x) <= 13 else 4
    shown = list(range(len(x) - 1, -1, -step))[::-1]  # the current week always named
    ax.set_xticks([x[i] for i in shown], [labels[i] for i in shown], fontsize=SMALL)


def _wrapped(title: str, width: int = 44) -> str:
    return "\n".join(textwrap.wrap(title, width))


def _png(fig: Figure) -> bytes:
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _clean(ax: Axes) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)

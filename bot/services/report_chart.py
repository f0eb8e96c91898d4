"""The impact report as a picture (matplotlib, drawn off-screen): participation week by week against the 10–20 %
benchmark, what people did, and each campaign's progress."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # no display: PNG only, from any thread or process

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.core.i18n import N_, Translator  # noqa: E402
from bot.services.report import BENCHMARK, Report  # noqa: E402

BLUE, GREEN, GREY, ORANGE = "#0b57d0", "#0b7a3b", "#9aa3ad", "#c26401"
ACTION_LABELS = {"follow": N_("follows"), "vote": N_("votes"), "answer": N_("prompt answers"), "news": N_("news"),
                 "step": N_("next steps"), "pledge": N_("pledge links"), "promise": N_("promises"), "meeting": N_("meeting answers")}


def chart(t: Translator, report: Report) -> bytes:
    """A PNG: two or three panels a reader takes in at a glance, labelled in their language."""
    panels = 3 if report.funding else 2
    fig: Figure = plt.figure(figsize=(9, 3.2 * panels), dpi=110)
    try:
        labels = [t.date(w.start, "d MMM") for w in report.weeks]
        x = list(range(len(report.weeks)))
        ax = fig.add_subplot(panels, 1, 1)
        ax.axhspan(BENCHMARK[0], BENCHMARK[1], color=GREEN, alpha=0.12, label=t(N_("lively community (10–20 %)")))
        values = [w.participation for w in report.weeks]
        bars = ax.bar(x, values, color=[BLUE if v >= BENCHMARK[0] else GREY for v in values])
        for bar, week in zip(bars, report.weeks):
            if week.active:
                ax.annotate(str(week.active), (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom",
                            fontsize=8, color="#333333")
        ax.set_title(t(N_("Members who took part, week by week (% of {count})"), count=report.members), fontsize=11, loc="left")
        ax.set_ylim(0, max(25.0, max(values, default=0) * 1.2))
        ax.set_xticks(x, labels, fontsize=8)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f} %")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _clean(ax)

        ax = fig.add_subplot(panels, 1, 2)
        kinds = [k for k in ACTION_LABELS if any(w.actions.get(k) for w in report.weeks)]
        bottom = [0] * len(x)
        palette = [BLUE, GREEN, ORANGE, "#7b1fa2", "#00838f", "#ad1457", "#5d4037", "#455a64"]
        for colour, kind in zip(palette, kinds):
            counts = [w.actions.get(kind, 0) for w in report.weeks]
            ax.bar(x, counts, bottom=bottom, color=colour, label=t(ACTION_LABELS[kind]))
            bottom = [b + c for b, c in zip(bottom, counts)]
        ax.set_title(t(N_("What members did")), fontsize=11, loc="left")
        ax.set_xticks(x, labels, fontsize=8)
        if kinds:
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncol=4)
        else:
            ax.text(0.5, 0.5, t(N_("Nothing yet")), ha="center", va="center", transform=ax.transAxes, color=GREY)
        _clean(ax)

        if report.funding:
            ax = fig.add_subplot(panels, 1, 3)
            names = [f.title for f in report.funding]
            raised = [100 * f.raised / f.goal if f.goal else 0 for f in report.funding]
            promised = [100 * f.promised / f.goal if f.goal else 0 for f in report.funding]
            y = list(range(len(names)))
            ax.barh(y, raised, color=BLUE, label=t(N_("raised")))
            ax.barh(y, promised, left=raised, color=BLUE, alpha=0.35, label=t(N_("promised")))
            ax.axvline(100, color=GREY, linewidth=1)
            ax.set_yticks(y, names, fontsize=9)
            ax.invert_yaxis()
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f} %")
            ax.set_title(t(N_("Campaigns: share of the goal")), fontsize=11, loc="left")
            ax.legend(loc="lower right", fontsize=8, frameon=False)
            _clean(ax)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def _clean(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)

"""Charts for people who do not read code: Chinese glyphs render whatever theme is set."""

from __future__ import annotations

import warnings


def test_charts_have_no_missing_glyphs_even_after_seaborn_set_theme():
    import seaborn as sns

    from qindex import plots
    from qindex.reports.plan import plan_report

    sns.set_theme()  # resets fonts; qindex charts must still render Chinese
    r = plan_report("gongshu-2025", synthetic=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" becomes a failure
        figs = [
            plots.status_counts(r.assessment, synthetic=True),
            plots.domain_summary(r.assessment, synthetic=True),
            plots.target_panels(r.assessment, r.panel, r.plan, r.projections, synthetic=True),
        ]
        for f in figs:
            f.canvas.draw()
    for f in figs:
        for ax in f.axes:
            if ax.get_visible() and ax.get_ylabel():
                assert (
                    ax.get_ylabel().startswith(("单位", "无单位"))
                    or ax.get_xlabel() == "目标数(个)"
                )

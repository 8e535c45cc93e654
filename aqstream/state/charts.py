"""What the analytics pages' Plotly charts share: the layout, Plotly's locale (months, days and number
separators in the reader's language, from Babel's CLDR data, passed in the chart's config so no locale script
is loaded), whole-number axes, percentages, money and the CSV of a chart's data."""
from __future__ import annotations

import csv
import io
from functools import lru_cache
from typing import Iterable, Sequence

import plotly.graph_objects as go
from babel.dates import get_day_names, get_month_names
from babel.numbers import format_currency, format_percent, get_decimal_symbol, get_group_symbol

from aqstream.i18n import LOCALES, format_money, minor_to_decimal
from aqstream.services.reports.exports import _cell

PALETTE = ("#3e63dd", "#30a46c", "#f76b15", "#8e4ec6", "#e54666", "#12a594", "#ffc53d", "#5b5bd6")
DAY_TICK = {"ru": "%-d %b", "en": "%b %-d"}


def _lang(lang: str) -> str:
    return lang if lang in LOCALES else "en"


@lru_cache(maxsize=None)
def plot_config(lang: str) -> dict:
    """Plotly's config for a chart in `lang`: no mode bar, resized with its box, and the locale, so dates on
    hover and on the axes name the months in that language with its decimal and thousands separators."""
    lang = _lang(lang)
    config: dict = {"displayModeBar": False, "responsive": True}
    if lang == "en":
        return config  # Plotly's own default
    months = get_month_names("wide", "stand-alone", locale=lang)
    short = get_month_names("abbreviated", "stand-alone", locale=lang)
    days = get_day_names("wide", "stand-alone", locale=lang)
    short_days = get_day_names("abbreviated", "stand-alone", locale=lang)
    week = [6, 0, 1, 2, 3, 4, 5]  # Plotly's lists start on Sunday, Babel's on Monday
    config["locale"] = lang
    config["locales"] = {lang: {"dictionary": {}, "format": {
        "days": [days[i] for i in week], "shortDays": [short_days[i] for i in week],
        "months": [months[i] for i in range(1, 13)], "shortMonths": [short[i] for i in range(1, 13)],
        "date": "%d.%m.%Y", "decimal": get_decimal_symbol(lang), "thousands": get_group_symbol(lang),
    }}}
    return config


def empty() -> go.Figure:
    """A state's figure before it is read. Not go.Figure(): that carries Plotly's default template (about 7 KB
    of JSON), and every state's default values are compiled into the JavaScript of every page, the public
    event page included. The chart component sets its own light or dark template when it draws."""
    return go.Figure(layout_template="none")


def layout(lang: str, **extra) -> dict:
    """The charts' layout. Template "none": the chart component adds its own light or dark one, so Plotly's
    default (about 7 KB) would only be sent again with every update of every chart."""
    lang = _lang(lang)
    base = dict(margin=dict(l=40, r=10, t=10, b=40), height=280, barmode="stack", showlegend=True,
                legend=dict(orientation="h", y=-0.2),
                separators=get_decimal_symbol(lang) + get_group_symbol(lang).replace("\u202f", " ").replace(
                    "\xa0", " "),
                xaxis=dict(type="date", tickformat=DAY_TICK[lang]),
                yaxis=dict(rangemode="tozero", tickformat="d"), paper_bgcolor="rgba(0,0,0,0)",
                plot_bgcolor="rgba(0,0,0,0)", font=dict(family="system-ui, sans-serif", size=12), template="none")
    base.update(extra)
    return base


def whole(fig: go.Figure, top: int) -> go.Figure:
    """Whole numbers on the y axis (people, not fractions of them), at most about 6 ticks."""
    fig.update_yaxes(tick0=0, dtick=max(1, -(-top // 5)), range=[-0.01, max(top, 1) * 1.1])
    return fig


def percent(value: float | None, lang: str) -> str:
    return "—" if value is None else format_percent(value, locale=_lang(lang), format="#,##0.#%")


def money(revenue: dict[str, int], lang: str) -> str:
    """Amounts per currency from integer minor units, exactly (no float), e.g. "1 500,00 €, 300 ₽"; "0" if none."""
    return ", ".join(format_currency(minor_to_decimal(v, c), c, locale=_lang(lang))
                     for c, v in sorted(revenue.items())) or "0"


def money_rows(rows, lang: str) -> list[dict[str, str]]:
    """The revenue per currency (services/payments/summary.Revenue) as the analytics pages' money table: paid,
    awaiting payment, refunded and net, each formatted exactly from minor units."""
    return [{"currency": r.currency, "paid": format_money(r.paid_minor, r.currency, _lang(lang)),
             "pending": format_money(r.pending_minor, r.currency, _lang(lang)),
             "refunded": format_money(r.refunded_minor, r.currency, _lang(lang)),
             "net": format_money(r.net_minor, r.currency, _lang(lang))} for r in rows]


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A chart's data as CSV; text an organizer or a visitor typed (a title, a referrer) that looks like a
    spreadsheet formula is quoted, as in the attendee export."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return out.getvalue()

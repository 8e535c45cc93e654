"""Money per currency on the analytics pages: paid, awaiting payment, refunded and net, one row per currency
(formatted on the server from integer minor units; state/charts.money_rows)."""
import reflex as rx

from aqstream.components.ui import T

COLUMNS = (("paid", "money.col.paid"), ("pending", "money.col.pending"), ("refunded", "money.col.refunded"),
           ("net", "money.col.net"))


def money_table(rows, element_id: str) -> rx.Component:
    """Nothing is shown while the rows are empty (every order free)."""
    return rx.cond(
        rows.length() > 0,
        rx.vstack(
            rx.heading(T("money.title"), size="4", as_="h2"),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(rx.table.column_header_cell(T("money.col.currency")),
                                                 *[rx.table.column_header_cell(T(k)) for _, k in COLUMNS])),
                    rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                        rx.table.row_header_cell(r["currency"]),
                        *[rx.table.cell(r[c], white_space="nowrap") for c, _ in COLUMNS]))),
                    size="1", width="100%",
                ),
                overflow_x="auto", width="100%",
            ),
            rx.text(T("money.hint"), size="1", color_scheme="gray"),
            spacing="2", width="100%", id=element_id,
        ),
        rx.fragment(),
    )

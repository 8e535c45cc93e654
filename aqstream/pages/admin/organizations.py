"""The platform admins' organizations: the list (/admin/organizations: search by name, slug or member email, status
filter, sort, pages; a table on a desktop, cards on a phone) and one organization (/admin/organizations/<slug>:
its facts, members, events, usage per week, recent audit entries and failed emails). Read only: the actions on
an organization go in the #admin-org-actions container near the top. Anyone else sees "not found"."""
import reflex as rx

from aqstream.components.ui import T, labelled_select, shell, when_loaded
from aqstream.pages.admin.overview import admin_nav, weeks_chart
from aqstream.pages.admin.tenant_actions import tenant_actions
from aqstream.state.admin import AdminOrgsState as L
from aqstream.state.admin import AdminOrgState as D

BUTTON = {"min_height": "44px"}
SORT_KEYS = (("-created", "admin.sort.newest"), ("created", "admin.sort.oldest"),
             ("-activity", "admin.sort.active_recently"), ("activity", "admin.sort.active_long_ago"),
             ("name", "admin.sort.name"), ("-tickets", "admin.sort.most_tickets"), ("tickets", "admin.sort.fewest_tickets"))
COLUMNS = (("owner", "admin.col.owner"), ("members", "admin.col.members"), ("events", "admin.col.events"),
           ("tickets", "admin.col.tickets"), ("activity", "admin.col.activity"), ("created", "admin.col.created"))


def error_text(field: str) -> rx.Component:
    """The server's refusal of a field, rendered only when there is one (no empty gaps under the form)."""
    return rx.cond(L.errors.contains(field),
                   rx.text(L.errors.get(field, ""), id=f"f-{field}-error", color_scheme="red", size="2", role="alert"),
                   rx.fragment())


def search_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.vstack(
                rx.el.label(T("admin.search"), html_for="f-q", style={"font_weight": "500"}),
                rx.input(id="f-q", name="q", type="search", default_value=L.q, key=L.q + "|q", size="3",
                         width="100%", height="44px", max_length=300, placeholder=T("admin.search_placeholder"),
                         aria_describedby="f-q-error", aria_invalid=rx.cond(L.errors.contains("q"), "true", "false")),
                error_text("q"),
                spacing="1", flex="2 1 260px",
            ),
            rx.box(labelled_select("f-status", T("admin.filter.status"),
                                   *[rx.el.option(T(f"admin.filter.{s}"), value=s) for s in ("all", "active", "suspended")],
                                   name="status", default_value=L.status, key=L.status + "|s"),
                   flex="1 1 160px"),
            rx.box(labelled_select("f-sort", T("admin.sort.label"),
                                   *[rx.el.option(T(key), value=value) for value, key in SORT_KEYS],
                                   name="sort", default_value=L.sort, key=L.sort + "|o"),
                   flex="1 1 200px"),
            rx.button(rx.icon("search", aria_hidden="true"), T("admin.search_button"), type="submit", size="3",
                      align_self="end", **BUTTON),
            spacing="3", wrap="wrap", width="100%", align="start",
        ),
        on_submit=L.search,
        reset_on_submit=False,
        role="search",
        width="100%",
    )


def status_badge(row: rx.Var) -> rx.Component:
    return rx.badge(row["status"], color_scheme=rx.cond(row["suspended"] != "", "red", "green"), variant="soft",
                    high_contrast=True)


def org_link(row: rx.Var) -> rx.Component:
    return rx.link(row["name"], href=row["href"], weight="medium")


def owner_cell(row: rx.Var) -> rx.Component:
    return rx.vstack(rx.text(row["owner"], size="2"), rx.text(row["owner_email"], size="1", color_scheme="gray"),
                     spacing="0")


def orgs_table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(T("admin.col.name")), rx.table.column_header_cell(T("admin.col.slug")),
                rx.table.column_header_cell(T("admin.col.status")),
                *[rx.table.column_header_cell(T(key)) for _, key in COLUMNS])),
            rx.table.body(rx.foreach(L.rows, lambda r: rx.table.row(
                rx.table.row_header_cell(org_link(r)), rx.table.cell(r["slug"]), rx.table.cell(status_badge(r)),
                rx.table.cell(owner_cell(r)), *[rx.table.cell(r[c]) for c, _ in COLUMNS[1:]]))),
            size="1", width="100%",
        ),
        display=rx.breakpoints(initial="none", md="block"),
        width="100%",
        overflow_x="auto",
    )


def orgs_cards() -> rx.Component:
    def dl(row: rx.Var) -> rx.Component:
        return rx.el.dl(
            *[rx.fragment(rx.el.dt(T(key), style={"color": "var(--gray-11)", "font_size": "14px"}),
                          rx.el.dd(row[c], style={"margin": "0", "text_align": "right", "overflow_wrap": "anywhere"}))
              for c, key in COLUMNS],
            style={"display": "grid", "grid_template_columns": "auto minmax(0, 1fr)", "gap": "4px 12px",
                   "align_items": "baseline", "width": "100%", "margin": "4px 0 0 0"})

    return rx.vstack(
        rx.foreach(L.rows, lambda r: rx.card(rx.vstack(
            rx.flex(org_link(r), status_badge(r), justify="between", align="center", width="100%", gap="2"),
            rx.text(r["slug"], size="2", color_scheme="gray"),
            dl(r), spacing="1", width="100%"), width="100%")),
        display=rx.breakpoints(initial="flex", md="none"),
        spacing="2",
        width="100%",
    )


def pager() -> rx.Component:
    return rx.flex(
        rx.button(T("admin.previous"), variant="soft", on_click=L.go_page(-1), disabled=L.page <= 1, **BUTTON),
        rx.text(L.page_text, size="2", aria_live="polite"),
        rx.button(T("admin.next"), variant="soft", on_click=L.go_page(1), disabled=L.page >= L.pages, **BUTTON),
        spacing="3", align="center", wrap="wrap",
    )


def organizations_page() -> rx.Component:
    return shell(
        when_loaded(
            L.loaded,
            L.found,
            rx.vstack(
                admin_nav("organizations"),
                rx.heading(T("admin.organizations.title"), size="7", as_="h1"),
                search_form(),
                error_text("status"), error_text("sort"), error_text("page"),
                rx.text(L.total_text, size="2", color_scheme="gray", id="admin-orgs-total", aria_live="polite"),
                rx.box(
                    rx.cond(L.rows.length() > 0, rx.fragment(orgs_table(), orgs_cards()),
                            rx.text(T("admin.no_organizations"), color_scheme="gray")),
                    id="admin-orgs", width="100%",
                ),
                pager(),
                spacing="4",
                width="100%",
            ),
        ),
        size="4",
    )


# One organization ------------------------------------------------------------------------------------------------


def section(title_key: str, rows: rx.Var, empty_key: str, table: rx.Component, cards: rx.Component,
            id_: str) -> rx.Component:
    return rx.vstack(
        rx.heading(T(title_key), size="4", as_="h2"),
        rx.cond(rows.length() > 0, rx.fragment(table, cards), rx.text(T(empty_key), color_scheme="gray", size="2")),
        spacing="2", width="100%", id=id_,
    )


def table_of(rows: rx.Var, columns: tuple[tuple[str, str], ...]) -> rx.Component:
    first, *rest = columns
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(T(key)) for _, key in columns])),
            rx.table.body(rx.foreach(rows, lambda r: rx.table.row(
                rx.table.row_header_cell(r[first[0]]), *[rx.table.cell(r[c]) for c, _ in rest]))),
            size="1", width="100%"),
        display=rx.breakpoints(initial="none", md="block"), width="100%", overflow_x="auto")


def cards_of(rows: rx.Var, columns: tuple[tuple[str, str], ...]) -> rx.Component:
    first, *rest = columns
    return rx.vstack(
        rx.foreach(rows, lambda r: rx.card(rx.vstack(
            rx.text(r[first[0]], weight="medium", style={"overflow_wrap": "anywhere"}),
            rx.el.dl(*[rx.fragment(rx.el.dt(T(key), style={"color": "var(--gray-11)", "font_size": "14px"}),
                                   rx.el.dd(r[c], style={"margin": "0", "overflow_wrap": "anywhere"}))
                       for c, key in rest],
                     style={"display": "grid", "grid_template_columns": "auto minmax(0, 1fr)", "gap": "4px 12px",
                            "width": "100%", "margin": "0"}),
            spacing="1", width="100%"), width="100%")),
        display=rx.breakpoints(initial="flex", md="none"), spacing="2", width="100%")


def both(rows: rx.Var, columns) -> tuple[rx.Component, rx.Component]:
    return table_of(rows, columns), cards_of(rows, columns)


MEMBERS = (("name", "admin.col.member"), ("email", "admin.col.email"), ("role", "admin.col.role"),
           ("since", "admin.col.since"))
EVENTS = (("title", "admin.col.event"), ("status", "admin.col.status"), ("starts", "admin.col.starts"),
          ("tickets", "admin.col.sold_capacity"))
AUDIT = (("action", "admin.col.action"), ("at", "admin.col.at"), ("actor", "admin.col.actor"),
         ("object", "admin.col.object"))
FAILED = (("recipient", "admin.col.recipient"), ("created", "admin.col.at"), ("kind", "admin.col.kind"),
          ("subject", "admin.col.subject"), ("error", "admin.col.error"), ("attempts", "admin.col.attempts"))


def organization_page() -> rx.Component:
    return shell(
        when_loaded(
            D.loaded,
            D.found,
            rx.vstack(
                admin_nav("organizations"),
                rx.link(T("admin.back_to_list"), href="/admin/organizations", padding_y="10px"),
                rx.flex(rx.heading(D.name, size="7", as_="h1", style={"overflow_wrap": "anywhere"}),
                        rx.cond(D.suspended, rx.badge(T("admin.status.suspended"), color_scheme="red", size="2",
                                                        high_contrast=True),
                                rx.badge(T("admin.status.active"), color_scheme="green", size="2",
                                         high_contrast=True)),
                        align="center", gap="3", wrap="wrap"),
                # The actions on the organization (suspend, reactivate, limits, export, delete) go here.
                rx.box(tenant_actions(), id="admin-org-actions", width="100%"),
                rx.el.dl(rx.foreach(D.facts, lambda f: rx.fragment(
                    rx.el.dt(f["label"], style={"color": "var(--gray-11)"}),
                    rx.el.dd(f["value"], style={"margin": "0", "overflow_wrap": "anywhere"}))),
                    style={"display": "grid", "grid_template_columns": "minmax(0, 12em) minmax(0, 1fr)",
                           "gap": "6px 16px", "width": "100%", "margin": "0"}, id="admin-org-facts"),
                section("admin.members_title", D.members, "admin.no_members", *both(D.members, MEMBERS),
                        "admin-org-members"),
                section("admin.events_title", D.events, "admin.no_events", *both(D.events, EVENTS), "admin-org-events"),
                rx.vstack(
                    rx.heading(T("admin.usage_title"), size="4", as_="h2"),
                    weeks_chart(D),
                    width="100%",
                ),
                section("admin.audit_title", D.audit, "admin.no_audit", *both(D.audit, AUDIT), "admin-org-audit"),
                section("admin.failed_title", D.failed, "admin.no_failed", *both(D.failed, FAILED),
                        "admin-org-failed"),
                spacing="5",
                width="100%",
            ),
        ),
        size="4",
    )

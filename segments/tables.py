"""django-tables2 tables. All share ``segments/htmx_table.html``, whose header
and pagination links carry ``hx-get``/``hx-push-url`` and a plain ``href``."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe

from segments import presentation
from segments.models import Account, Audience, Segment
from segments.pagination import EstimatingPaginator
from segments.permissions import OPERATE
from segments.selectors.saved_views import CHOOSABLE_COLUMNS

# RequestConfig reads a page size from the URL as it is (``per_page=100000``
# included). Ours comes validated from the filter form, through RequestConfig's
# ``paginate`` defaults, so the tables' own page-size parameter is one no URL has.
UNREAD_PER_PAGE_FIELD = "per_page_unvalidated"


class DeskTable(tables.Table):
    """A table configured with ``RequestConfig(request, paginate={"per_page": n})``,
    whose every order ends on the primary key."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, per_page_field=UNREAD_PER_PAGE_FIELD, **kwargs)

    def ordered_data(self):
        """The table's queryset in the order its pages show (the sort, else the
        default), which an export of the view keeps too.

        Rows tied on the sorted column must keep one order across pages, which
        PostgreSQL does not promise (a LIMIT/OFFSET page may then repeat rows of
        another and skip others): the primary key ends every order."""
        queryset = self.data.data if self.order_by else self.default_order(self.data.data)
        order = queryset.query.order_by or queryset.model._meta.ordering
        return queryset.order_by(*order, "pk")

    def default_order(self, queryset):
        """The queryset in the order shown without a sort (the model's, by default)."""
        return queryset

    def paginate(self, *args, **kwargs):
        self.data.data = self.row_columns(self.ordered_data())
        kwargs.setdefault("paginator_class", EstimatingPaginator)
        return super().paginate(*args, **kwargs)

    def row_columns(self, queryset):
        """The queryset narrowed to the columns the rows show (all, by default)."""
        return queryset


class SegmentTable(DeskTable):
    """Every visible segment. Operators also get a selection box and row actions;
    build it with ``SegmentTable.for_user(queryset, user)``."""

    select = tables.Column(
        accessor="segment_id",
        orderable=False,
        verbose_name=mark_safe(
            '<input type="checkbox" form="bulk-form" data-select-all="selected" '
            'aria-label="Select all on this page" autocomplete="off">'
        ),
    )
    name = tables.Column(verbose_name="Name", attrs={"td": {"class": "name"}})
    audience = tables.Column(
        accessor="audience__name",
        order_by=("audience_name",),  # the sync's copy of it, which is indexed
        verbose_name="Audience",
        attrs={"td": {"class": "wrap"}},
    )
    account = tables.Column(
        accessor="account__name",
        order_by=("account__name",),
        verbose_name="Account · platform",
        attrs={"td": {"class": "wrap"}},
    )
    # Every column names itself: the column chooser labels its boxes with these.
    status = tables.Column(verbose_name="Status")
    end_date = tables.Column(verbose_name="Ends", attrs={"td": {"class": "ends"}})
    pipeline = tables.Column(
        accessor="segment_id", verbose_name="Pipeline", orderable=False, empty_values=()
    )
    total_failed_count = tables.Column(verbose_name="Failed", attrs={"td": {"class": "num"}})
    total_no_data_count = tables.Column(verbose_name="No data", attrs={"td": {"class": "num"}})
    total_log_count = tables.Column(verbose_name="Log events", attrs={"td": {"class": "num"}})
    updated = tables.Column(verbose_name="Updated")
    review = tables.Column(
        accessor="review__state",
        verbose_name="Review",
        order_by=("review__state",),
        default="",
    )
    actions = tables.Column(
        accessor="segment_id", verbose_name="Actions", orderable=False, empty_values=()
    )

    class Meta:
        model = Segment
        fields = ()
        sequence = (
            "select",
            "name",
            "audience",
            "account",
            "status",
            "end_date",
            "pipeline",
            "total_failed_count",
            "total_no_data_count",
            "total_log_count",
            "updated",
            "review",
            "actions",
        )
        # No column order by default: ``paginate`` puts the soonest upcoming end first.
        order_by = ()
        attrs = {"class": "data-table", "id": "segments-table"}
        empty_text = "No segments match these filters."
        template_name = "segments/segment_table.html"

    def __init__(self, *args, deleting: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = timezone.now()
        # Deletes waiting out their undo window, by segment id (ScheduledDelete).
        self.deleting = deleting or {}
        # Cells are built with f-strings (text escaped) and URLs reversed once per
        # table: format_html and reverse per cell cost more than the queries (bench/).
        self.urls = {
            name: reverse(name, args=[0]).replace("/0/", "/{}/")
            for name in (
                "segment-detail",
                "segment-extend",
                "segment-delete",
                "scheduled-delete-undo",
            )
        }
        self.list_url = reverse("segment-list")

    # The columns the rows read: loading the others (description, dates, ids) cost
    # a fifth of the 25-row partial's CPU time in their conversion (bench/).
    ROW_FIELDS = (
        "segment_id",
        "name",
        "audience_id",
        "audience__name",
        "account_id",
        "account__name",
        "account__platform_display_name",
        "platform_id",
        "status",
        "end_date",
        "total_log_count",
        "updated",
        "review__state",
        *(field for _, field in Segment.PIPELINE),
    )

    def row_columns(self, queryset):
        return queryset.only(*self.ROW_FIELDS)

    # What the page says of the default order (no ``sort``, or none valid).
    default_order_label = "Soonest upcoming end first, expired last"

    def default_order(self, queryset):
        return queryset.upcoming_first(now=self.now)

    @classmethod
    def for_user(cls, data, user, *, columns=None, **kwargs):
        """The table for ``user``, showing ``columns`` of the choosable ones (default: all)."""
        hidden = [c for c in CHOOSABLE_COLUMNS if columns is not None and c not in columns]
        if not user.has_perm(OPERATE):
            hidden += ["select", "actions"]
        return cls(data, exclude=hidden, **kwargs)

    @classmethod
    def sort_in_words(cls, sort: str) -> str:
        """A ``sort`` parameter as a saved view's line says it ("" if none applies):
        "sorted by Ends, descending"."""
        keys = [key.strip() for key in sort.split(",") if key.strip()]
        named = [
            (cls.base_columns[key.lstrip("-")], key.startswith("-"))
            for key in keys
            # A column's ``orderable`` is None unless it says False: the table's default.
            if key.lstrip("-") in cls.base_columns
            and cls.base_columns[key.lstrip("-")].orderable is not False
        ]
        if not named:
            return ""
        words = [f"{column.verbose_name}{', descending' if down else ''}" for column, down in named]
        return "sorted by " + ", then ".join(words)

    @classmethod
    def column_choices(cls, visible) -> list[tuple[str, str, bool]]:
        """The column chooser's boxes: name, label, shown."""
        return [(c, str(cls.base_columns[c].verbose_name), c in visible) for c in CHOOSABLE_COLUMNS]

    def rows_html(self) -> str:
        """This page's rows, rendered here rather than by django-tables2's per-cell
        loop (accessor resolution, a signature inspection per render call, attribute
        dicts per cell): with it, the 25-row partial took about 50 ms; rendered here,
        17 ms (bench/, 100,000 segments on SQLite). Same cells, same defaults."""
        columns = [(c.name, c.attrs["td"].as_html(), c.default) for c in self.columns]
        return mark_safe(  # noqa: S308 - every cell is escaped or made by presentation
            "".join(
                self._row_html(row.record, columns, "odd" if i % 2 else "even")
                for i, row in enumerate(self.page.object_list)
            )
        )

    def _row_html(self, record: Segment, columns, parity: str) -> str:
        cells = []
        for name, td_attrs, default in columns:
            cell = self._cell(name, record)
            cells.append(
                f"<td {td_attrs}>{conditional_escape(default if cell is None else cell)}</td>"
            )
        return f'<tr id="segment-{record.segment_id}" class="{parity}">{"".join(cells)}</tr>'

    def _cell(self, name: str, record: Segment):
        """One cell's content, or ``None`` for the column's default (an empty value)."""
        match name:
            case "select":
                return self.render_select(record.segment_id, record)
            case "name":
                return self.render_name(record.name, record) if record.name else None
            case "audience" | "account":
                related = getattr(record, name)
                return getattr(self, f"render_{name}")(related.name, record) if related else None
            case "end_date":
                return self.render_end_date(record.end_date, record) if record.end_date else None
            case "review":
                review = getattr(record, "review", None)
                return self.render_review(review.get_state_display(), record) if review else None
            case "pipeline":
                return self.render_pipeline(record)
            case "actions":
                return self.render_actions(record)
        value = getattr(record, name)
        return None if value in (None, "") else getattr(self, f"render_{name}")(value)

    def render_select(self, value, record):
        # autocomplete="off": Back must not tick it again. A segment being deleted
        # cannot be chosen: there is nothing more to send for it (its row has Undo).
        deleting = " disabled" if record.segment_id in self.deleting else ""
        return mark_safe(  # noqa: S308 - an integer id and an escaped name
            f'<input type="checkbox" form="bulk-form" name="selected" value="{int(value)}" '
            f'aria-label="Select {escape(record.name)}" autocomplete="off"{deleting}>'
        )

    def render_review(self, value, record):
        return presentation.review_badge(value, record.review.state)

    def render_actions(self, record):
        if scheduled := self.deleting.get(record.segment_id):
            return self.render_deleting(scheduled, record)
        extend = self.urls["segment-extend"].format(record.segment_id)
        delete = self.urls["segment-delete"].format(record.segment_id)
        name = escape(record.name)
        return mark_safe(  # noqa: S308 - the name is escaped, the rest is ours
            '<span class="row-actions">'
            f'<a class="button small" href="{extend}" hx-get="{extend}" hx-target="#dialog-body" '
            f'hx-swap="innerHTML" aria-label="Extend {name}">Extend</a> '
            f'<a class="button small danger-ghost" href="{delete}" hx-get="{delete}" '
            f'hx-target="#dialog-body" hx-swap="innerHTML" aria-label="Delete {name}">Delete</a>'
            "</span>"
        )

    def render_deleting(self, scheduled, record):
        """ "Deleting in 4:32 — Undo": the countdown runs in the page's script."""
        undo = self.urls["scheduled-delete-undo"].format(scheduled.pk)
        name = escape(record.name)
        deadline = scheduled.deadline
        left = presentation.countdown(deadline, self.now)
        return mark_safe(  # noqa: S308 - the name is escaped, the rest is ours
            f'<span class="row-actions"><span class="deleting">Deleting in '
            f'<span data-deadline="{deadline.isoformat()}">{left}</span>'
            f'</span> — <button type="button" class="small primary" hx-post="{undo}" '
            f'aria-label="Undo the delete of {name}">Undo</button></span>'
        )

    def render_name(self, value, record):
        url = self.urls["segment-detail"].format(record.segment_id)
        flag = presentation.ANOMALY_BADGE if getattr(record, "has_anomaly", False) else ""
        return mark_safe(  # noqa: S308 - the name is escaped, the badge is ours
            f'<a href="{url}" title="{escape(value)}">{escape(value)}</a>{flag}'
            f'<span class="sub">ID {record.segment_id}</span>'
        )

    def render_account(self, value, record):
        platform = record.account.platform_display_name if record.account else record.platform_id
        # The full text on hover: the cell is cut to one line in the table.
        return mark_safe(  # noqa: S308 - both names are escaped
            f'<span title="{escape(value)} · {escape(platform)}">{escape(value)}'
            f'<span class="sub">{escape(platform)}</span></span>'
        )

    def render_audience(self, value, record):
        return mark_safe(  # noqa: S308 - the name is escaped
            f'<a href="{self.list_url}?audience={record.audience_id}" title="{escape(value)}">'
            f"{escape(value)}</a>"
        )

    def render_status(self, value):
        return presentation.status_badge(value)

    def render_end_date(self, value, record):
        return mark_safe(  # noqa: S308 - both parts are safe strings made by presentation
            f"{presentation.when(value, '%d %b %Y')} "
            f"{presentation.days_left_badge(record.days_left(self.now))}"
        )

    def render_pipeline(self, record):
        return presentation.pipeline_bar(record)

    def render_total_failed_count(self, value):
        return presentation.number(value)

    def render_total_no_data_count(self, value):
        return presentation.number(value)

    def render_total_log_count(self, value):
        return presentation.number(value)

    def render_updated(self, value):
        # The day only; the exact time in UTC is the <time>'s title.
        return presentation.when(value, "%d %b %Y")


class AudienceTable(DeskTable):
    id = tables.Column(verbose_name="ID")
    name = tables.Column()
    type = tables.Column()
    last_updated = tables.Column(verbose_name="Last updated")
    last_refreshed = tables.Column(verbose_name="Last refreshed")
    segment_count = tables.Column(verbose_name="Segments", attrs={"td": {"class": "num"}})

    class Meta:
        model = Audience
        fields = ()
        sequence = ("id", "name", "type", "last_updated", "last_refreshed", "segment_count")
        order_by = ("id",)
        attrs = {"class": "data-table", "id": "audiences-table"}
        empty_text = "No audiences match these filters."

    def render_name(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("audience-detail", args=[record.id]), value
        )

    def render_type(self, value, record):
        return format_html(
            '<span class="badge tone-{}">{}</span>',
            "c2" if value == "list" else "c3",
            record.get_type_display(),
        )

    def render_last_updated(self, value):
        return presentation.when(value)

    def render_last_refreshed(self, value):
        return presentation.when(value)

    def render_segment_count(self, value, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("segment-list") + f"?audience={record.id}",
            presentation.number(value),
        )


class AccountTable(DeskTable):
    id = tables.Column(verbose_name="ID")
    name = tables.Column()
    platform_display_name = tables.Column(verbose_name="Platform")
    agency_name = tables.Column(verbose_name="Agency")
    account_type_name = tables.Column(verbose_name="Type")
    advertiser_id = tables.Column(verbose_name="Advertiser id")
    segment_count = tables.Column(verbose_name="Segments", attrs={"td": {"class": "num"}})
    updated = tables.Column()

    class Meta:
        model = Account
        fields = ()
        sequence = (
            "id",
            "name",
            "platform_display_name",
            "agency_name",
            "account_type_name",
            "advertiser_id",
            "segment_count",
            "updated",
        )
        order_by = ("agency_name", "name")
        attrs = {"class": "data-table", "id": "accounts-table"}
        empty_text = "No platform accounts yet: run a refresh."

    def render_segment_count(self, value, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("segment-list") + f"?account={record.id}",
            presentation.number(value),
        )

    def render_updated(self, value):
        return presentation.when(value)

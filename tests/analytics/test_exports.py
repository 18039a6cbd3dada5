"""Report exports: asked for on a page, written by the real worker with progress on the
row, downloaded only by the one who asked, contacts only for managers, deleted when they
expire."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from analytics import tasks
from analytics.exceptions import ExportRefused
from analytics.models import CustomerScore, DailyKpi, ReportExport, Segment
from analytics.selectors import exports as report_selectors
from analytics.services import exports
from marketing.services.coupons import shoppers_from_csv
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory

pytestmark = pytest.mark.time_machine(MID_MONTH)

EXPORTS = reverse("admin:analytics_exports")
LATER = datetime.timedelta(hours=2, minutes=1)


def _score(user, *, segment, monetary):
    now = timezone.now()
    return CustomerScore.objects.create(
        user=user,
        first_order_at=now - datetime.timedelta(days=90),
        last_order_at=now - datetime.timedelta(days=3),
        recency_days=3,
        frequency=4,
        monetary=Decimal(monetary),
        r_score=5,
        f_score=5,
        m_score=5,
        segment=segment,
        computed_at=now,
    )


@pytest.fixture
def scored():
    """Two important-value shoppers (the bigger spender first) and one lost."""
    big, small, lost = UserFactory(), UserFactory(), UserFactory()
    _score(big, segment=Segment.IMPORTANT_VALUE, monetary="900.00")
    _score(small, segment=Segment.IMPORTANT_VALUE, monetary="300.00")
    _score(lost, segment=Segment.LOST, monetary="50.00")
    return big, small, lost


def _ask(client, **fields):
    data = {"report": "segment", "file_format": "csv", "segment": "important_value", **fields}
    return client.post(EXPORTS, data)


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_a_manager_exports_a_segment_with_contacts_through_the_worker(
    worker, transactional_db, client, scored
):
    big, small, _ = scored
    manager = UserFactory(roles=["manager"])
    client.force_login(manager)
    response = _ask(client, with_contacts="on")
    export = ReportExport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:analytics_export", args=[export.pk])
    assert export.requested_by == manager and export.with_contacts

    assert worker.run(tasks.build_report_export, export_id=export.pk) == "done"
    # Run again (a repeated message): the same file, nothing written twice.
    stored = ReportExport.objects.get().file.name
    assert worker.run(tasks.build_report_export, export_id=export.pk) == "done"
    assert ReportExport.objects.get().file.name == stored

    status = client.get(reverse("admin:analytics_export_status", args=[export.pk])).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert (status["rows_done"], status["rows_total"]) == (2, 2)
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    rows = _csv(download)
    assert rows[0][:2] == ["mobile or email", "email"]
    assert [row[0] for row in rows[1:]] == [big.phone, small.phone]
    # The file is a coupon audience as it is.
    users, problems = shoppers_from_csv("\n".join(",".join(row) for row in rows))
    assert problems == [] and [u.pk for u in users] == [big.pk, small.pk]


def test_an_analysts_export_has_no_contact_details(worker, transactional_db, client, scored):
    analyst = UserFactory(roles=["analyst"])
    client.force_login(analyst)
    page = client.get(EXPORTS)
    assert page.status_code == 200 and "with_contacts" not in page.context["form"].fields
    # The box sent anyway is ignored by the form; the service refuses it outright.
    _ask(client, file_format="xlsx", segment="", with_contacts="on")
    export = ReportExport.objects.get()
    assert not export.with_contacts
    with pytest.raises(ExportRefused, match="Only managers"):
        exports.request_export(
            user=analyst,
            report="segment",
            params={},
            file_format="csv",
            with_contacts=True,
            language="en",
        )
    assert ReportExport.objects.count() == 1

    assert worker.run(tasks.build_report_export, export_id=export.pk) == "done"
    download = client.get(reverse("admin:analytics_export_download", args=[export.pk]))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "shopper id" and "email" not in rows[0]
    assert [row[0] for row in rows[1:]] == [user.pk for user in scored]  # all segments
    cells = {str(cell) for row in rows for cell in row}
    assert not any(user.phone in cells or user.email in cells for user in scored)


def test_an_export_is_the_askers_only(client, db, scored):
    owner, other = UserFactory(roles=["manager"]), UserFactory(roles=["manager"])
    export = exports.request_export(
        user=owner,
        report="segment",
        params={"segment": "lost"},
        file_format="csv",
        with_contacts=True,
        language="en",
    )
    exports.build_export(export_id=export.pk)
    client.force_login(other)
    for name in ("admin:analytics_export", "admin:analytics_export_status"):
        assert client.get(reverse(name, args=[export.pk])).status_code == 404
    assert (
        client.get(reverse("admin:analytics_export_download", args=[export.pk])).status_code == 404
    )
    assert export.pk not in [e.pk for e in client.get(EXPORTS).context["exports"]]
    client.force_login(UserFactory(roles=["warehouse"]))
    assert client.get(EXPORTS).status_code == 403
    # A manager who lost the role no longer gets the contacts they asked for.
    owner.groups.clear()
    owner.groups.add(*UserFactory(roles=["analyst"]).groups.all())
    client.force_login(owner)
    assert (
        client.get(reverse("admin:analytics_export_download", args=[export.pk])).status_code == 403
    )


def test_progress_is_written_while_the_rows_go_out(db, monkeypatch):
    """The page's progress bar reads rows_done: it grows during the run, not only at the end."""
    for n in range(7):
        DailyKpi.objects.create(
            day=datetime.date(2026, 6, 1) + datetime.timedelta(days=n),
            orders=n,
            gmv=Decimal(n * 10),
            built_at=timezone.now(),
        )
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    seen = []
    original = report_selectors.Report.rows

    def watched(self, params, *, with_contacts):
        for row in original(self, params, with_contacts=with_contacts):
            seen.append(ReportExport.objects.values_list("rows_done", "rows_total").get())
            yield row

    monkeypatch.setattr(report_selectors.Report, "rows", watched)
    export = exports.request_export(
        user=UserFactory(roles=["analyst"]),
        report="daily_kpis",
        params={"since": "2026-06-01", "until": "2026-06-30"},
        file_format="xlsx",
        with_contacts=False,
        language="zh-hans",
    )
    assert exports.build_export(export_id=export.pk) == "done"
    assert seen == [(0, 7), (0, 7), (2, 7), (2, 7), (4, 7), (4, 7), (6, 7)]
    export.refresh_from_db()
    assert (export.rows_done, export.percent) == (7, 100)
    with export.file.open("rb") as handle:
        rows = list(openpyxl.load_workbook(handle).active.iter_rows(values_only=True))
    assert rows[0][0] == "日期"  # the headers in the asker's language
    assert [row[0].date() for row in rows[1:]] == [
        datetime.date(2026, 6, 1) + datetime.timedelta(days=n) for n in range(7)
    ]
    assert rows[3][rows[0].index("订单")] == 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"since": "2026-06-30", "until": "2026-06-01"}, "The first day comes after the last."),
        ({"since": "", "until": "2026-06-01"}, "Give the first and the last day."),
        ({"since": "2010-01-01", "until": "2026-06-01"}, "Choose at most ten years."),
    ],
)
def test_bad_parameters_are_refused_and_nothing_is_queued(client, db, params, message):
    client.force_login(UserFactory(roles=["analyst"]))
    page = client.post(EXPORTS, {"report": "channels", "file_format": "csv", **params})
    assert page.status_code == 200 and message in page.text
    assert not ReportExport.objects.exists()


def test_an_expired_export_is_gone(client, db, scored, settings):
    settings.MALL_EXPORT_HOURS = 2
    manager = UserFactory(roles=["manager"])
    export = exports.request_export(
        user=manager,
        report="segment",
        params={"segment": ""},
        file_format="csv",
        with_contacts=False,
        language="en",
    )
    exports.build_export(export_id=export.pk)
    name = ReportExport.objects.get().file.name
    assert default_storage.exists(name)
    client.force_login(manager)
    download = reverse("admin:analytics_export_download", args=[export.pk])
    assert client.get(download).status_code == 200
    # Two hours and a minute later (moved on the row: staff sessions end sooner).
    ReportExport.objects.update(
        created_at=F("created_at") - LATER, expires_at=F("expires_at") - LATER
    )
    assert client.get(download).status_code == 410
    status = client.get(reverse("admin:analytics_export_status", args=[export.pk])).json()
    assert status["state"] == "expired" and status["download_url"] is None
    assert exports.expire_exports() == 1
    assert exports.expire_exports() == 0
    assert not default_storage.exists(name)
    assert ReportExport.objects.get().state == "expired"
    # A queued export that expired before a worker took it is never written.
    assert exports.build_export(export_id=export.pk) == "expired"

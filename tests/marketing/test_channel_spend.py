"""Channel spend: entered by hand or imported from a CSV bill; every bad row listed and
nothing written unless the whole file is good; the same file twice writes once; booked on
the campaign's budget (the same hard cap) and counted as the channel report's cost."""

import datetime
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics.selectors.channels import channel_report
from marketing.exceptions import SpendInvalid
from marketing.models import Campaign, CampaignSpend, Channel, ChannelSpend, ChannelSpendImport
from marketing.services.campaigns import channels, spend
from tests.marketing.campaign_helpers import campaign, operator

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 6, 20, 12, 0, tzinfo=SHANGHAI)

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(NOW)]


def _at(day, hour=10):
    return datetime.datetime(2026, 6, day, hour, tzinfo=SHANGHAI)


def _placement(*, for_campaign=None, name="达人短视频"):
    channel = Channel.objects.get_or_create(
        source="douyin", defaults={"name": "抖音", "kind": Channel.Kind.SHORT_VIDEO}
    )[0]
    return channels.save_placement(
        actor=operator(),
        data={
            "channel": channel,
            "campaign": for_campaign,
            "name": name,
            "starts_at": _at(10),
            "ends_at": _at(25),
            "amount": Decimal("999"),
            "landing_page": "/",
        },
    )


@pytest.fixture
def made():
    return campaign(starts_at=_at(10), ends_at=_at(25), budget="1000")


def _csv(*lines):
    return ("\n".join(["placement,date,amount,impressions,note", *lines]) + "\n").encode()


def test_spend_by_hand_is_booked_on_the_campaigns_budget(made):
    placement = _placement(for_campaign=made)
    entry = spend.record_spend(
        actor=operator(), placement=placement, spent_on=datetime.date(2026, 6, 12), amount="120.5"
    )
    made.refresh_from_db()
    assert made.spent == Decimal("120.50")
    assert entry.booking.kind == CampaignSpend.Kind.CHANNEL
    assert entry.booking.amount == Decimal("120.50")


def test_spend_by_hand_is_refused_with_every_reason(made):
    placement = _placement(for_campaign=made)
    with pytest.raises(SpendInvalid) as refused:
        spend.record_spend(
            actor=operator(), placement=placement, spent_on=datetime.date(2026, 7, 1), amount="0"
        )
    assert len(refused.value.problems) == 2
    with pytest.raises(SpendInvalid, match="budget left"):
        spend.record_spend(
            actor=operator(),
            placement=placement,
            spent_on=datetime.date(2026, 6, 12),
            amount="1001",
        )
    assert not ChannelSpend.objects.exists() and not CampaignSpend.objects.exists()


def test_an_import_books_every_row_once_even_when_imported_again(made):
    booked = _placement(for_campaign=made)
    loose = _placement(name="无活动投放")
    content = _csv(
        f"{booked.code},2026-06-11,100.00,5000,第一天",
        f'{booked.code},2026-06-12,"1,50.50",,',
        f"{loose.code},2026-06-12,30,,",
    )
    first, new = spend.import_spend(actor=operator(), content=content, filename="douyin.csv")
    again, new_again = spend.import_spend(actor=operator(), content=content, filename="x.csv")

    assert new and not new_again and again.pk == first.pk
    assert (first.rows, first.total) == (3, Decimal("280.50"))
    assert ChannelSpend.objects.count() == 3
    made.refresh_from_db()
    assert made.spent == Decimal("250.50")
    assert CampaignSpend.objects.filter(kind=CampaignSpend.Kind.CHANNEL).count() == 2
    assert ChannelSpend.objects.get(placement=loose).booking is None


def test_a_file_with_bad_rows_is_refused_whole_with_every_row(made):
    booked = _placement(for_campaign=made)
    content = _csv(
        f"{booked.code},2026-06-11,100,,",
        "nosuch,2026-06-11,10,,",
        f"{booked.code},11/06/2026,abc,,",
        f"{booked.code},2026-07-30,-5,many,",
        f"{booked.code},2026-06-12,1.234,,",
        f"{booked.code},2026-06-13,950,,",
    )
    with pytest.raises(SpendInvalid) as refused:
        spend.import_spend(actor=operator(), content=content, filename="bad.csv")

    problems = refused.value.problems
    assert [problem.split(":")[0] for problem in problems] == [
        "Line 3",
        "Line 4",
        "Line 5",
        "Line 6",
        "Lines 2, 7",
    ]
    assert "nosuch" in problems[0]
    assert "YYYY-MM-DD" in problems[1] and "not a number" in problems[1]
    assert "outside" in problems[2] and "whole number" in problems[2]
    assert "two decimal places" in problems[3]
    assert not ChannelSpend.objects.exists()
    assert not ChannelSpendImport.objects.exists()
    assert Campaign.objects.get(pk=made.pk).spent == 0


def test_a_file_beyond_the_budget_is_refused_whole(made):
    booked = _placement(for_campaign=made)
    content = _csv(f"{booked.code},2026-06-11,600,,", f"{booked.code},2026-06-12,600,,")
    with pytest.raises(SpendInvalid) as refused:
        spend.import_spend(actor=operator(), content=content, filename="big.csv")
    assert refused.value.problems[0].startswith("Lines 2, 3:")
    assert not ChannelSpend.objects.exists() and Campaign.objects.get(pk=made.pk).spent == 0


def test_a_file_without_the_columns_is_refused():
    with pytest.raises(SpendInvalid) as refused:
        spend.import_spend(actor=operator(), content=b"code,day\nx,y\n", filename="x.csv")
    assert "placement, date, amount" in str(refused.value)


def test_four_eyes_is_unchanged_by_spend(made):
    placement = _placement(for_campaign=made)
    spend.record_spend(
        actor=made.owner, placement=placement, spent_on=datetime.date(2026, 6, 12), amount="10"
    )
    made.refresh_from_db()
    assert made.approved_by != made.owner and made.approved_by is not None


def test_the_channel_report_counts_the_recorded_spend_in_bounded_queries(
    made, django_assert_max_num_queries
):
    booked = _placement(for_campaign=made)
    planned = _placement(name="只有计划金额")
    spend.import_spend(
        actor=operator(),
        content=_csv(f"{booked.code},2026-06-11,100,,", f"{booked.code},2026-06-18,40,,"),
        filename="a.csv",
    )
    with django_assert_max_num_queries(4):
        [row] = channel_report(start=datetime.date(2026, 6, 15), end=datetime.date(2026, 6, 20))
    costs = {placement.code: placement.cost for placement in row.placements}
    assert costs == {booked.code: Decimal("40.00"), planned.code: Decimal("999.00")}
    for day in range(12, 18):
        spend.record_spend(
            actor=operator(), placement=booked, spent_on=datetime.date(2026, 6, day), amount="1"
        )
    with django_assert_max_num_queries(4):
        [row] = channel_report(start=datetime.date(2026, 6, 10), end=datetime.date(2026, 6, 20))
    assert row.cost == Decimal("1145.00")


def test_the_admin_imports_a_file_and_lists_bad_rows(made, client):
    booked = _placement(for_campaign=made)
    client.force_login(operator())
    url = reverse("admin:marketing_channelspend_import")
    assert client.get(url).status_code == 200
    bad = client.post(url, {"file": _upload(_csv("nosuch,2026-06-11,10,,"))})
    assert bad.status_code == 200 and "nosuch" in bad.content.decode()
    good = client.post(url, {"file": _upload(_csv(f"{booked.code},2026-06-11,10,,"))})
    assert good.status_code == 302
    assert ChannelSpend.objects.count() == 1
    listing = client.get(reverse("admin:marketing_channelspend_changelist"))
    assert listing.status_code == 200 and "import-spend" in listing.content.decode()


def _upload(content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("spend.csv", content, content_type="text/csv")

"""The shopper's pages of promotions and coupons: offers and honest prices on the product
page, coupons to claim there, on category pages and in the coupon centre, the wallet,
the cart's explanation and hint, the checkout's coupon and gift-card choices."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import SkuPrice
from marketing.models import Coupon, CouponTemplate, Promotion
from marketing.services import coupons
from orders.services import cart as carts
from tests.clocks import MID_MONTH
from tests.customers.factories import UserFactory
from tests.marketing.promo_helpers import (
    HOUR,
    gift_card,
    manjian,
    promotion,
    shopper_with_address,
    template,
)
from tests.orders.factories import listed_sku

# Promotion windows, coupon validity and daily limits are read from the clock: it starts
# mid-month, mid-morning, whatever the day the tests run.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(MID_MONTH)]


@pytest.fixture
def zh(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _age(sku, days):
    """Make the SKU's price row older, as if it had been on sale ``days`` days."""
    SkuPrice.objects.filter(sku=sku).update(
        valid_from=timezone.now() - datetime.timedelta(days=days)
    )


def test_the_product_page_shows_live_and_coming_promotions_with_their_times(zh):
    tea = listed_sku(price="120.00")
    manjian(("199", "20"), ("399", "50"), name="双十二满减")
    later = timezone.now() + 24 * HOUR
    manjian(("100", "10"), name="年货节", starts=later, ends=later + HOUR)
    body = _text(zh.get(f"/product/{tea.product_id}/").content.decode())
    assert "满199减20" in body and "双十二满减" in body
    assert "满100减10" in body and "年货节" in body and "预告" in body


def test_a_limited_time_price_shows_was_only_when_it_was_the_price_for_seven_days(zh):
    tea = listed_sku(price="100.00")
    promotion(Promotion.Kind.TIMED_DISCOUNT, percent_off=Decimal("20"), products=[tea.product])
    page = zh.get(f"/product/{tea.product_id}/").content.decode()
    # The 100.00 price began just now: nobody paid 100.00 for seven days, so it is not
    # shown crossed out; the promotion price is.
    assert 'id="promo-price"' in page and "¥80.00" in page
    assert "<del" not in page.split('id="promo-price"')[1].split("</p>")[0]
    _age(tea, 10)
    promotion(Promotion.Kind.TIMED_DISCOUNT, percent_off=Decimal("20"), products=[tea.product])
    page = zh.get(f"/product/{tea.product_id}/").content.decode()
    promo = page.split('id="promo-price"')[1].split("</p>")[0]
    assert "¥80.00" in promo and "<del" in promo and "¥100.00" in promo


def test_coupons_are_claimed_from_the_product_page_and_land_in_the_wallet(client):
    tea = listed_sku(price="120.00")
    made = template(name="满100减10", amount="10", threshold="100")
    shopper = UserFactory()
    client.force_login(shopper)
    page = client.get(f"/product/{tea.product_id}/").content.decode()
    assert f'data-template="{made.pk}"' in page
    response = client.post(
        reverse("coupons:claim", args=[made.pk]), {"next": f"/product/{tea.product_id}/"}
    )
    assert response.status_code == 302 and response["Location"] == f"/product/{tea.product_id}/"
    assert Coupon.objects.filter(user=shopper, template=made).count() == 1
    page = client.get(f"/product/{tea.product_id}/").content.decode()
    assert 'class="helptext claimed"' in page
    wallet = client.get(reverse("coupons:wallet")).content.decode()
    assert "满100减10" in wallet and f'data-coupon="{Coupon.objects.get().pk}"' in wallet


def test_a_guest_claiming_is_asked_to_sign_in_first(client):
    made = template()
    response = client.post(reverse("coupons:claim", args=[made.pk]), {"next": "/coupons/"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Coupon.objects.exists()


def test_the_coupon_centre_and_the_category_page_offer_public_coupons_only(client):
    tea = listed_sku(price="45.00")
    public = template(name="公开券")
    hidden = template(name="定向券", channel=CouponTemplate.Channel.GRANT)
    centre = client.get(reverse("coupons:centre")).content.decode()
    assert f'data-template="{public.pk}"' in centre and f'data-template="{hidden.pk}"' not in centre
    category = client.get(reverse("catalog:category", args=[tea.product.category.slug]))
    assert f'data-template="{public.pk}"' in category.content.decode()


def test_the_wallet_has_usable_used_and_expired_tabs_and_redeems_codes(client):
    from tests.marketing.promo_helpers import operator

    shopper = UserFactory()
    usable = coupons.claim_coupon(template=template(name="可用券"), user=shopper)
    gone = coupons.claim_coupon(template=template(name="过期券"), user=shopper)
    Coupon.objects.filter(pk=gone.pk).update(valid_until=timezone.now() - HOUR)
    code_template = template(name="直播券", channel=CouponTemplate.Channel.CODE)
    batch = coupons.generate_codes(
        template=code_template, quantity=2, actor=operator(), reason="直播"
    )
    client.force_login(shopper)
    page = client.get(reverse("coupons:wallet")).content.decode()
    assert f'data-coupon="{usable.pk}"' in page and f'data-coupon="{gone.pk}"' not in page
    expired = client.get(reverse("coupons:wallet"), {"tab": "expired"}).content.decode()
    assert f'data-coupon="{gone.pk}"' in expired
    code = batch.coupons.first().code
    client.post(reverse("coupons:redeem"), {"code": code})
    assert Coupon.objects.get(code=code).user == shopper
    response = client.post(reverse("coupons:redeem"), {"code": code}, follow=True)
    assert "redeemed already" in response.content.decode()


def test_the_wallet_adds_a_gift_card_by_its_number(client):
    from marketing.services import giftcards
    from tests.marketing.promo_helpers import operator

    [card] = giftcards.issue_gift_cards(face_value="200", actor=operator(), reason="员工福利")
    shopper = UserFactory()
    client.force_login(shopper)
    client.post(reverse("coupons:add_gift_card"), {"number": card.code.replace(" ", "")})
    card.refresh_from_db()
    assert card.owner == shopper
    page = client.get(reverse("coupons:wallet")).content.decode()
    assert card.masked in page and "¥200.00" in page


def test_the_cart_explains_each_discount_and_hints_the_next_tier(zh):
    tea, cup = listed_sku(price="120.00", name="龙井"), listed_sku(price="99.00", name="杯")
    manjian(("199", "20"), ("399", "50"))
    shopper = UserFactory()
    cart = carts.open_cart(user=shopper)
    carts.add_to_cart(cart=cart, sku_id=tea.pk, quantity=1)
    zh.force_login(shopper)
    body = _text(zh.get(reverse("orders:cart")).content.decode())
    assert "再买¥79.00可减¥20" in body  # 120 alone
    carts.add_to_cart(cart=cart, sku_id=cup.pk, quantity=1)
    body = _text(zh.get(reverse("orders:cart")).content.decode())
    assert "满199减20：已减¥20.00" in body
    assert "再买¥180.00可减¥50" in body


def test_checkout_offers_the_coupons_with_the_best_ticked_and_the_gift_cards(client):
    tea = listed_sku(price="150.00")
    shopper, _address = shopper_with_address()
    best = coupons.claim_coupon(
        template=template(name="大券", amount="20", threshold="100"), user=shopper
    )
    small = coupons.claim_coupon(template=template(name="小券", amount="5"), user=shopper)
    card = gift_card(shopper, "50.00")
    carts.add_to_cart(cart=carts.open_cart(user=shopper), sku_id=tea.pk, quantity=1)
    client.force_login(shopper)
    page = client.get(reverse("orders:checkout")).content.decode()
    assert re.search(rf'name="coupon" value="{best.pk}" checked', page)
    assert f'name="coupon" value="{small.pk}"' in page
    assert f'name="gift_card" value="{card.pk}"' in page
    assert 'id="order-total">¥130.00<' in page
    # Choosing the small coupon and the card recalculates (the query string carries them).
    page = client.get(
        reverse("orders:checkout"), {"coupon": str(small.pk), "gift_card": str(card.pk)}
    ).content.decode()
    assert 'id="order-total">¥145.00<' in page and 'id="amount-due">¥95.00<' in page


def test_the_api_claims_lists_the_wallet_and_quotes_with_the_chosen_coupon(client):
    tea = listed_sku(price="150.00")
    made = template(name="满100减10", amount="10", threshold="100")
    shopper, address = shopper_with_address()
    client.force_login(shopper)
    centre = client.get("/api/v1/coupon-centre/").json()
    assert [row["id"] for row in centre] == [made.pk] and centre[0]["can_claim"]
    claimed = client.post(
        "/api/v1/coupons/claim/", {"template": made.pk}, content_type="application/json"
    )
    assert claimed.status_code == 201
    again = client.post(
        "/api/v1/coupons/claim/", {"template": made.pk}, content_type="application/json"
    )
    assert (again.status_code, again.json()["code"]) == (400, "limit")
    wallet = client.get("/api/v1/coupons/").json()
    assert [row["id"] for row in wallet["usable"]] == [claimed.json()["id"]]
    carts.add_to_cart(cart=carts.open_cart(user=shopper), sku_id=tea.pk, quantity=1)
    quote = client.post(
        "/api/v1/checkout/quote/",
        {"address": address.pk, "shipping_method": "standard"},
        content_type="application/json",
    ).json()
    assert quote["total"] == "140.00" and quote["discounts"][0]["source"].startswith("coupon:")
    none = client.post(
        "/api/v1/checkout/quote/",
        {"address": address.pk, "shipping_method": "standard", "choices": {"coupon": ["none"]}},
        content_type="application/json",
    ).json()
    assert none["total"] == "150.00"
    [choice] = [c for c in none["choices"] if c["name"] == "coupon"]
    assert [o["value"] for o in choice["options"]] == [str(claimed.json()["id"]), "none"]

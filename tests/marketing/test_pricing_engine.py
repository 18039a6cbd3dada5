"""The pricing engine on its own: no database, no clock. Each test builds rules and a cart
as plain values and checks the combination the engine picks, how it falls on the lines,
and what it tells the shopper."""

import itertools
from decimal import Decimal as D

from django.utils import translation

from marketing.services.pricing import engine
from marketing.services.pricing import rules as r

_ids = itertools.count(1)


def item(sku, price, quantity=1, *, product=None, category=1, brand="", supplier=1, flash=False):
    return r.Item(
        sku_id=sku,
        product_id=product or sku,
        category_id=category,
        brand=brand,
        supplier_id=supplier,
        unit_price=D(price),
        quantity=quantity,
        promotable=not flash,
    )


def rule(kind, *tiers, group=None, priority=0, exclusive=False, scope=None, **fields):
    pk = next(_ids)
    group = group or {
        r.TIMED_DISCOUNT: r.ITEM,
        r.BUY_GET: r.ITEM,
        r.NTH_ITEM: r.ITEM,
        r.FREE_SHIPPING: r.SHIPPING,
    }.get(kind, r.ORDER)
    return r.Rule(
        key=f"promotion:{pk}",
        id=pk,
        kind=kind,
        group=group,
        name=f"rule {pk}",
        priority=priority,
        exclusive=exclusive,
        scope=scope or r.Scope(),
        tiers=tuple(tiers),
        **fields,
    )


def tier(threshold, off=None, percent=None, gift=None, gift_quantity=1, gift_value="0"):
    return r.Tier(
        threshold=D(threshold),
        amount_off=D(off) if off is not None else None,
        percent_off=D(percent) if percent is not None else None,
        gift_sku_id=gift,
        gift_quantity=gift_quantity if gift else 0,
        gift_value=D(gift_value),
    )


def coupon(
    coupon_id, *, off=None, percent=None, threshold="0", cap=None, stackable=True, scope=None
):
    template = r.Rule(
        key=f"coupon-template:{coupon_id}",
        id=coupon_id,
        kind=r.PERCENT_OFF if percent else r.AMOUNT_OFF,
        group=r.COUPON,
        name=f"券{coupon_id}",
        scope=scope or r.Scope(),
        tiers=(r.Tier(threshold=D(threshold), amount_off=D(off) if off else None),),
        percent_off=D(percent) if percent else None,
        cap=D(cap) if cap else None,
        stackable=stackable,
        threshold=D(threshold),
    )
    return engine.CouponOffer(coupon_id=coupon_id, rule=template)


def everywhere(items, *rules):
    return {i.sku_id: list(rules) for i in items}


def texts(labels):
    with translation.override("zh-hans"):
        return [str(label) for label in labels]


def test_tiered_spend_and_save_takes_the_tier_reached_and_hints_the_next():
    manjian = rule(r.THRESHOLD_OFF, tier("199", "20"), tier("399", "50"))
    cart = [item(1, "120"), item(2, "99")]
    quote = engine.quote(cart, everywhere(cart, manjian))
    [applied] = quote.goods_discounts
    assert applied.amount == D("20.00")
    assert sum(applied.shares.values()) == D("20.00")
    assert applied.shares == {1: D("10.96"), 2: D("9.04")}  # pro rata, to the cent
    assert texts([applied.label]) == ["满199减20"]
    assert texts(quote.hints) == ["再买¥180.00可减¥50"]
    bigger = [item(1, "120", 2), item(2, "99", 2)]
    quote = engine.quote(bigger, everywhere(bigger, manjian))
    assert quote.goods_discounts[0].amount == D("50.00") and quote.hints == []


def test_below_the_first_tier_nothing_is_taken_and_the_hint_says_how_far():
    manjian = rule(r.THRESHOLD_OFF, tier("199", "20"), tier("399", "50"))
    cart = [item(1, "168")]
    quote = engine.quote(cart, everywhere(cart, manjian))
    assert quote.goods_discounts == []
    assert texts(quote.hints) == ["再买¥31.00可减¥20"]
    with translation.override("en"):
        assert [str(h) for h in quote.hints] == ["Add ¥31.00 more to save ¥20"]


def test_every_full_hundred_saves_ten_up_to_the_cap():
    each = rule(r.THRESHOLD_OFF, tier("100", "10"), repeatable=True, cap=D("30"))
    cart = [item(1, "250")]
    quote = engine.quote(cart, everywhere(cart, each))
    assert quote.goods_discounts[0].amount == D("20.00")
    assert texts(quote.hints) == ["再买¥50.00可再减¥10"]
    cart = [item(1, "480")]
    quote = engine.quote(cart, everywhere(cart, each))
    assert quote.goods_discounts[0].amount == D("30.00") and quote.hints == []
    assert texts([quote.goods_discounts[0].label]) == ["每满100减10，最多减30"]


def test_buy_two_get_ten_percent_off_counts_items():
    zhe = rule(r.THRESHOLD_PERCENT, tier("2", percent="10"), basis=r.QUANTITY)
    one = [item(1, "59.90")]
    quote = engine.quote(one, everywhere(one, zhe))
    assert quote.goods_discounts == [] and texts(quote.hints) == ["再买1件享9折"]
    two = [item(1, "59.90"), item(2, "40.10")]
    quote = engine.quote(two, everywhere(two, zhe))
    assert quote.goods_discounts[0].amount == D("10.00")
    assert texts([quote.goods_discounts[0].label]) == ["满2件享9折"]


def test_a_limited_time_price_never_raises_a_price():
    cheaper = rule(r.TIMED_DISCOUNT, fixed_price=D("39.00"))
    dearer = rule(r.TIMED_DISCOUNT, fixed_price=D("99.00"))
    cart = [item(1, "45.00", 2), item(2, "59.00")]
    quote = engine.quote(cart, {1: [cheaper, dearer], 2: [dearer]})
    [applied] = quote.goods_discounts
    assert applied.rule is cheaper and applied.shares == {1: D("12.00")}


def test_eight_tenths_on_each_unit_rounds_per_unit():
    eighty = rule(r.TIMED_DISCOUNT, percent_off=D("20"))
    cart = [item(1, "9.99", 3)]
    quote = engine.quote(cart, everywhere(cart, eighty))
    # 9.99 x 0.8 = 7.992 -> 7.99 a unit, so 2.00 off each unit.
    assert quote.goods_discounts[0].shares == {1: D("6.00")}
    assert texts([quote.goods_discounts[0].label]) == ["限时8折"]


def test_buy_two_get_one_free_and_second_item_half_price():
    b2g1 = rule(r.BUY_GET, buy_quantity=2, free_quantity=1)
    half = rule(r.NTH_ITEM, nth=2, percent_off=D("50"))
    cart = [item(1, "30.00", 3), item(2, "45.00", 2)]
    quote = engine.quote(cart, {1: [b2g1, half], 2: [b2g1, half]})
    by_rule = {a.rule.key: a.shares for a in quote.goods_discounts}
    # 3 units: one free (30.00) beats one at half price (15.00); 2 units: only half price.
    assert by_rule == {b2g1.key: {1: D("30.00")}, half.key: {2: D("22.50")}}
    assert texts([a.label for a in quote.goods_discounts]) == ["买2送1", "第二件半价"]


def test_thresholds_count_prices_after_item_discounts():
    eighty = rule(r.TIMED_DISCOUNT, percent_off=D("20"))
    manjian = rule(r.THRESHOLD_OFF, tier("199", "20"))
    cart = [item(1, "240")]  # 192.00 after 8折: short of 199
    quote = engine.quote(cart, everywhere(cart, eighty, manjian))
    assert [a.rule for a in quote.goods_discounts] == [eighty]
    assert texts(quote.hints) == ["再买¥7.00可减¥20"]


def test_overlapping_order_rules_get_the_lines_that_save_most():
    tea_only = r.Scope(categories=frozenset({7}))
    store = rule(r.THRESHOLD_OFF, tier("300", "30"), priority=5)
    tea = rule(r.THRESHOLD_OFF, tier("100", "25"), scope=tea_only)
    cart = [item(1, "150", category=7), item(2, "170", category=8)]
    covering = {1: [store, tea], 2: [store]}
    quote = engine.quote(cart, covering)
    # Store-wide on both (320 -> 30) vs tea on the tea (25) and nothing on the rest:
    # the store-wide rule saves more.
    assert [(a.rule, a.amount) for a in quote.goods_discounts] == [(store, D("30.00"))]
    cheaper = [item(1, "150", category=7), item(2, "120", category=8)]
    quote = engine.quote(cheaper, covering)
    # 270 no longer reaches 300: the tea rule takes the tea.
    assert [(a.rule, a.amount) for a in quote.goods_discounts] == [(tea, D("25.00"))]


def test_an_exclusive_rule_wins_only_when_it_saves_more_than_everything_else():
    solo = rule(r.TIMED_DISCOUNT, percent_off=D("30"), exclusive=True)
    small = rule(r.TIMED_DISCOUNT, percent_off=D("10"))
    manjian = rule(r.THRESHOLD_OFF, tier("100", "40"))
    cart = [item(1, "100")]
    quote = engine.quote(cart, everywhere(cart, solo, small, manjian))
    # 10% (10) then 满100减40 does not fit (90 < 100): 10 in all; alone 30 % gives 30.
    assert [(a.rule, a.amount) for a in quote.goods_discounts] == [(solo, D("30.00"))]
    deep = rule(r.THRESHOLD_OFF, tier("100", "45"))
    quote = engine.quote(cart, everywhere(cart, solo, deep))
    # 满100减45 (45) beats the exclusive 30 % (30): the exclusive rule gives way.
    assert [(a.rule, a.amount) for a in quote.goods_discounts] == [(deep, D("45.00"))]


def test_ties_are_broken_by_priority_then_age_so_the_answer_never_changes():
    first = rule(r.THRESHOLD_OFF, tier("100", "10"))
    second = rule(r.THRESHOLD_OFF, tier("100", "10"), priority=1)
    cart = [item(1, "120")]
    for _ in range(5):
        quote = engine.quote(cart, {1: [first, second]})
        assert [a.rule for a in quote.goods_discounts] == [second]
    quote = engine.quote(cart, {1: [rule(r.THRESHOLD_OFF, tier("100", "10")), first]})
    assert [a.rule for a in quote.goods_discounts] == [first]


def test_the_best_coupon_is_chosen_and_others_say_what_they_would_save():
    manjian = rule(r.THRESHOLD_OFF, tier("199", "20"))
    cart = [item(1, "219")]
    wallet = [
        coupon(1, off="10", threshold="150"),
        coupon(2, percent="10", cap="15"),
        coupon(3, off="30", threshold="300"),
    ]
    quote = engine.quote(cart, everywhere(cart, manjian), coupons=wallet)
    # After 满199减20: 199.00. 10 % = 19.90 capped at 15 beats 10 off; 300 is not reached.
    assert quote.coupon.coupon_id == 2
    assert quote.coupon_savings == {1: D("10.00"), 2: D("15.00"), 3: None}
    assert [a.amount for a in quote.goods_discounts] == [D("20.00"), D("15.00")]
    assert texts([quote.coupon_hints[3]]) == ["再买¥101.00可用优惠券：满300减30"]
    chosen = engine.quote(cart, everywhere(cart, manjian), coupons=wallet, choice="1")
    assert chosen.coupon.coupon_id == 1
    none = engine.quote(cart, everywhere(cart, manjian), coupons=wallet, choice=engine.NONE)
    assert none.coupon is None and none.saving == D("20.00")


def test_a_coupon_that_does_not_combine_gets_the_goods_no_promotion_discounted():
    eighty = rule(r.TIMED_DISCOUNT, percent_off=D("20"), scope=r.Scope(products=frozenset({1})))
    solo = coupon(9, off="30", threshold="100", stackable=False)
    cart = [item(1, "100", product=1), item(2, "80", product=2)]
    covering = {1: [eighty], 2: []}
    quote = engine.quote(cart, covering, coupons=[solo])
    # On the 80 alone the threshold is not reached; the promotion gives way on item 1:
    # 30 off 180 beats 20 off item 1.
    assert quote.coupon is not None
    assert [(a.rule.key, a.amount) for a in quote.goods_discounts] == [
        ("coupon-template:9", D("30.00"))
    ]


def test_free_shipping_from_a_threshold_and_its_hint():
    free = rule(r.FREE_SHIPPING, tier("88"))
    cart = [item(1, "60")]
    quote = engine.quote(cart, everywhere(cart, free), shipping_fee=D("10.00"))
    assert quote.plan.shipping is None and texts(quote.hints) == ["再买¥28.00包邮"]
    cart = [item(1, "90")]
    quote = engine.quote(cart, everywhere(cart, free), shipping_fee=D("10.00"))
    assert quote.plan.shipping.shipping == D("10.00")
    assert texts([quote.plan.shipping.label]) == ["满88包邮"]


def test_a_gift_out_of_stock_falls_back_to_the_tier_below():
    gifts = rule(
        r.GIFT,
        tier("199", gift=501, gift_value="29.00"),
        tier("399", gift=502, gift_value="99.00"),
    )
    cart = [item(1, "420")]
    quote = engine.quote(cart, everywhere(cart, gifts), gift_stock={501: 5, 502: 0})
    [applied] = quote.gifts
    assert applied.gift.gift_sku_id == 501 and applied.amount == 0
    quote = engine.quote(cart, everywhere(cart, gifts), gift_stock={501: 5, 502: 3})
    assert quote.gifts[0].gift.gift_sku_id == 502


def test_flash_sale_lines_take_no_promotion_or_coupon():
    manjian = rule(r.THRESHOLD_OFF, tier("100", "10"))
    cart = [item(1, "150", flash=True), item(2, "60")]
    quote = engine.quote(
        cart, everywhere(cart, manjian), coupons=[coupon(1, off="5")], choice=engine.BEST
    )
    # Only 60 counts towards 满100减10; the coupon falls on item 2 alone.
    assert [(a.rule.key, a.shares) for a in quote.goods_discounts] == [
        ("coupon-template:1", {2: D("5.00")})
    ]


def test_shares_never_exceed_what_is_left_of_a_line_and_always_add_up():
    eighty = rule(r.TIMED_DISCOUNT, percent_off=D("90"), scope=r.Scope(products=frozenset({1})))
    manjian = rule(r.THRESHOLD_OFF, tier("50", "45"))
    cart = [item(1, "100", product=1), item(2, "0.99", 3, product=2)]
    quote = engine.quote(
        cart, {1: [eighty, manjian], 2: [manjian]}, coupons=[coupon(4, percent="50")]
    )
    left = {i.sku_id: i.total for i in cart}
    for applied in quote.goods_discounts:
        assert sum(applied.shares.values()) == applied.amount
        for sku, part in applied.shares.items():
            left[sku] -= part
    assert all(value >= 0 for value in left.values())

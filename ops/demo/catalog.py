"""Demo catalog: a category tree with its rules, qualified suppliers, a few hundred listed
goods with prices, stock and pictures, and goods waiting in (or refused by) review.
Stock arrives on purchase receipts (one per supplier and warehouse, at 55-70 % of the
price) and some of it sells over the last two months, so the stock reports have figures.

``seed()`` works as an operator would, through the services, so the demo obeys the
shop's own rules; running it again adds nothing. ``seed_bulk(size=N)`` tops the catalog
up to N generated listed goods with bulk inserts, for benchmarks: the rows obey every
database constraint and the stock ledger rule, and carry the history the services would
have written, but skip the per-product checks (100,000 goods take a couple of minutes).

Everything is generated from word lists with a fixed random seed: the same names, prices
and pictures on every machine.
"""

import datetime
import io
import itertools
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from PIL import Image, ImageDraw

from catalog.exceptions import CatalogError
from catalog.models import (
    SKU,
    Category,
    CategoryAttribute,
    PriceChange,
    Product,
    ProductImage,
    ProductStatusChange,
    ProhibitedWord,
    PurchaseReceipt,
    PurchaseReceiptLine,
    QualificationDocument,
    Reservation,
    SkuPrice,
    SpotCheck,
    Stock,
    StockMovement,
    Supplier,
    Warehouse,
)
from catalog.services import admission, inventory, listing, price_ranges, pricing, purchasing
from catalog.services import search as search_services
from catalog.services.media import process_document_scan, process_product_image
from mall.money import to_money
from mall.validators import credit_code_check_char
from ops.demo.catalog_data import (
    AFTER_SALES,
    AFTER_SALES_DEVICES,
    AFTER_SALES_FRESH,
    DELISTINGS,
    EXPIRING_IN_DAYS,
    EXTRA_GOODS,
    FRESH_INFO,
    INFO_DEFAULTS,
    ORIGINS,
    POINTS,
    PROHIBITED_TEXTS,
    PROHIBITED_WORDS,
    REJECTIONS,
    SUPPLIERS,
    TREE,
    USAGE,
    WAREHOUSES,
    Attr,
    Goods,
)

OPERATOR_EMAIL = "operator@mall.example"
# Four eyes: the operator submits goods and starts a supplier's review, a second person
# (the demo's administrator) approves.
REVIEWER_EMAIL = "admin@mall.example"
DEMO_SKU_PREFIX = "DM-"  # hand-made demo goods: DM-0001-1, DM-0001-2, ...
BULK_SKU_PREFIX = "BK-"  # bulk goods: BK-0000001-1, ...
LISTED_GOODS = 300

# --- The tree, walked ---------------------------------------------------------------


def _nodes():
    """(node, lineage root-first) for every node of the tree, parents before children."""
    stack = [(node, (node,)) for node in reversed(TREE)]
    while stack:
        node, lineage = stack.pop()
        yield node, lineage
        stack += [(child, (*lineage, child)) for child in reversed(node.children)]


@dataclass(frozen=True)
class Leaf:
    """A category goods are made up for, with what its lineage requires."""

    slug: str
    top: str
    goods: Goods
    info: tuple[str, ...]
    attributes: tuple[Attr, ...]
    fresh: bool


def leaves() -> list[Leaf]:
    found = []
    for node, lineage in _nodes():
        if node.goods is None:
            continue
        attributes: dict[str, Attr] = {}
        for ancestor in lineage:  # deeper categories win, as in attribute_schema()
            attributes.update({attr.code: attr for attr in ancestor.attributes})
        info = sorted({key for ancestor in lineage for key in ancestor.info})
        found.append(
            Leaf(
                node.slug,
                lineage[0].slug,
                node.goods,
                tuple(info),
                tuple(attributes.values()),
                lineage[0].slug == "fresh",
            )
        )
    return found


# --- Making up one product -------------------------------------------------------------------


def _money(yuan: int) -> Decimal:
    return Decimal(yuan) - Decimal("0.10") if yuan >= 10 else Decimal(yuan)


def _barcode(rng: random.Random) -> str:
    digits = "69" + "".join(rng.choice("0123456789") for _ in range(10))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def make_up_goods(rng: random.Random, leaf: Leaf, *, name_parts=None, max_skus: int = 4):
    """The fields of one product of ``leaf`` and its SKUs, drawn from the word lists.

    Returns ``(fields, skus)``: ``fields`` for ``create_product`` and ``skus`` as a list
    of ``(spec, weight_grams, price, barcode)``.
    """
    goods = leaf.goods
    brand, adjective, noun = name_parts or (
        rng.choice(goods.brands),
        rng.choice(goods.adjectives),
        rng.choice(goods.nouns),
    )
    name = goods.name.format(
        brand=brand,
        sep=" " if brand.isascii() else "",
        adjective=adjective,
        noun=noun.name,
    )
    attributes = {}
    for attr in leaf.attributes:
        if attr.code == goods.brand_attr:
            value = brand
        elif attr.code in noun.attrs:
            value = noun.attrs[attr.code]
        elif attr.code in goods.attrs:
            value = rng.choice(goods.attrs[attr.code])
        elif attr.kind == CategoryAttribute.Kind.CHOICE:
            value = rng.choice(attr.choices)
        elif attr.kind == CategoryAttribute.Kind.BOOLEAN:
            value = rng.random() < 0.5
        else:
            continue  # an optional free-text attribute left empty
        attributes[attr.code] = value
    variables = {
        **attributes,
        "code": goods.code,
        "n3": rng.randint(100, 999),
        "n2": rng.randint(10, 99),
        "letter": rng.choice("ABCDEFGHKLMNPRX"),
    }
    info = {}
    for key in leaf.info:
        options = (
            noun.info.get(key)
            or goods.info.get(key)
            or (FRESH_INFO.get(key) if leaf.fresh else None)
            or INFO_DEFAULTS[key]
        )
        info[key] = rng.choice(options).format(**variables)
    points = rng.sample(POINTS[leaf.top], 2)
    origin = rng.choice(ORIGINS[leaf.top])
    fields = {
        "name": name,
        "subtitle": f"{points[0]} | {points[1]}",
        "brand": brand if goods.brand_attr == "brand" else "",
        "description": (
            f"{name}，{'、'.join(rng.sample(POINTS[leaf.top], 3))}。"
            f"产地{origin}，品质可溯源，支持开箱验货。"
        ),
        "origin": origin,
        "usage": USAGE.get(leaf.top, ""),
        "after_sales_terms": (
            AFTER_SALES_FRESH
            if leaf.fresh
            else AFTER_SALES_DEVICES
            if leaf.top in ("digital", "health")
            else rng.choice(AFTER_SALES)
        ),
        "no_reason_return": not leaf.fresh,
        "info": info,
        "attributes": attributes,
    }
    combinations = list(itertools.product(*goods.variants.values())) or [()]
    count = min(len(combinations), rng.randint(1, max_skus))
    picked = sorted(rng.sample(range(len(combinations)), count))
    base_price = rng.randint(*goods.price)
    base_weight = rng.randint(*goods.weight)
    skus = []
    for step, index in enumerate(picked):
        spec = dict(zip(goods.variants, combinations[index], strict=True))
        price = _money(base_price * (100 + 20 * step) // 100)
        weight = base_weight * (100 + 15 * step) // 100
        skus.append((spec, weight, price, _barcode(rng)))
    return fields, skus


# --- Pictures and scans ------------------------------------------------------------------------

PALETTE = (
    (192, 57, 43),
    (39, 174, 96),
    (41, 128, 185),
    (142, 68, 173),
    (243, 156, 18),
    (22, 160, 133),
    (44, 62, 80),
    (211, 84, 0),
)


def picture(label: str, variant: int, size: int = 600) -> bytes:
    """A product picture without words (no language to get wrong on any page): a soft
    background and a few shapes, all chosen from ``label`` and ``variant``, so that each
    product (and each of its pictures) looks different and the same seed draws the same."""
    rng = random.Random(f"picture-{label}-{variant}")  # noqa: S311  (a drawing, not a secret)
    colour = PALETTE[rng.randrange(len(PALETTE))]
    # A pale tint of the colour behind, the colour itself and a lighter one in front.
    background = tuple(c + (255 - c) * 4 // 5 for c in colour)
    light = tuple(c + (255 - c) // 2 for c in colour)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    for index in range(rng.randint(2, 3)):
        width = rng.randint(size // 4, size // 2)
        left = rng.randint(size // 10, size - width - size // 10)
        top = rng.randint(size // 10, size - width - size // 10)
        box = (left, top, left + width, top + width)
        fill = colour if index == 0 else light
        shape = rng.randrange(3)
        if shape == 0:
            draw.ellipse(box, fill=fill)
        elif shape == 1:
            draw.rounded_rectangle(box, radius=size // 12, fill=fill)
        else:
            draw.polygon([(left + width // 2, top), (box[2], box[3]), (left, box[3])], fill=fill)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def scan_pdf(title: str) -> bytes:
    """A small valid one-page PDF standing for a document scan."""
    text = title.encode("ascii", "replace")
    stream = b"BT /F1 18 Tf 72 720 Td (" + text + b") Tj ET"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R"
        b"/Resources<</Font<</F1 5 0 R>>>>>>",
        b"<</Length %d>>stream\n" % len(stream) + stream + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


class PicturePool:
    """A few pictures per top-level category, drawn once and reused by many goods."""

    per_category = 3

    def __init__(self):
        self._cache: dict[tuple[str, int], bytes] = {}

    def get(self, top: str, variant: int) -> bytes:
        key = (top, variant % self.per_category)
        if key not in self._cache:
            self._cache[key] = picture(top, key[1])
        return self._cache[key]


# --- The seed ----------------------------------------------------------------------------------


def credit_code(area: str, serial: int) -> str:
    first17 = f"91{area}MA2H8Q4X{serial}"
    return first17 + credit_code_check_char(first17)


def _operator(email=OPERATOR_EMAIL):
    from customers.models import User
    from ops.demo import accounts as customers_demo

    operator = User.objects.filter(email__iexact=email).first()
    if operator is None:
        customers_demo.seed()
        operator = User.objects.get(email__iexact=email)
    return operator


def _seed_categories() -> dict[str, Category]:
    by_slug: dict[str, Category] = {}
    for position, (node, lineage) in enumerate(_nodes()):
        parent = by_slug[lineage[-2].slug] if len(lineage) > 1 else None
        category, _ = Category.objects.get_or_create(
            slug=node.slug,
            defaults={
                "name": node.name,
                "name_en": node.name_en,
                "parent": parent,
                "position": position,
                "required_documents": list(node.documents),
                "required_info": list(node.info),
            },
        )
        by_slug[node.slug] = category
        for attr_position, attr in enumerate(node.attributes):
            CategoryAttribute.objects.get_or_create(
                category=category,
                code=attr.code,
                defaults={
                    "name": attr.name,
                    "kind": attr.kind,
                    "choices": list(attr.choices),
                    "required": attr.required,
                    "filterable": attr.filterable,
                    "position": attr_position,
                },
            )
    return by_slug


def _add_document(supplier, doc_type, *, valid_to, today):
    number = f"{doc_type.upper()}-{supplier.credit_code[-8:]}"
    if supplier.documents.filter(doc_type=doc_type, number=number).exists():
        return
    scan = process_document_scan(ContentFile(scan_pdf(f"{doc_type} {number}"), name="scan.pdf"))
    document = QualificationDocument(
        supplier=supplier,
        doc_type=doc_type,
        number=number,
        issuer="市场监督管理局" if doc_type == "business_licence" else "主管部门",
        valid_from=today - datetime.timedelta(days=730),
        valid_to=valid_to,
    )
    document.scan.save(scan.name, scan, save=False)
    document.save()


def _seed_suppliers(categories, operator, reviewer) -> dict[str, Supplier]:
    """Suppliers by the top-level category slugs they supply (approved ones only)."""
    today = timezone.localdate()
    by_category: dict[str, Supplier] = {}
    for serial, spec in enumerate(SUPPLIERS, start=1):
        supplier, created = Supplier.objects.get_or_create(
            credit_code=credit_code(spec.area, serial),
            defaults={
                "name": spec.name,
                "contact_name": spec.contact,
                "contact_phone": spec.phone,
                "contact_email": f"supplier{serial}@supplier.example",
                "address": "",
            },
        )
        if created:
            supplier.categories.set([categories[slug] for slug in spec.categories])
            for doc_type in ("business_licence", *spec.documents):
                lasts = EXPIRING_IN_DAYS if doc_type == spec.expiring else 3 * 365
                valid_to = today + datetime.timedelta(days=lasts)
                _add_document(supplier, doc_type, valid_to=valid_to, today=today)
            admission.start_supplier_review(supplier=supplier, actor=operator)
            if spec.approved:
                admission.approve_supplier(
                    supplier=supplier, actor=reviewer, reason="资质齐全，审核通过。"
                )
        if supplier.status == Supplier.Status.APPROVED:
            by_category.update({slug: supplier for slug in spec.categories})
    return by_category


def _seed_reference_data() -> dict[str, Warehouse]:
    for word, reason in PROHIBITED_WORDS:
        ProhibitedWord.objects.get_or_create(word=word, defaults={"reason": reason})
    warehouses = {}
    for code, name, province, city in WAREHOUSES:
        warehouses[code], _ = Warehouse.objects.get_or_create(
            code=code, defaults={"name": name, "province": province, "city": city}
        )
    return warehouses


def _demo_plan(all_leaves: list[Leaf]):
    """(serial, leaf, state, name parts) of every hand-made demo product, always the same.
    No two demo goods share a name."""
    rng = random.Random(2026)  # noqa: S311  (demo data, not secrets; the same on every run)
    names = {}
    for leaf in all_leaves:
        goods = leaf.goods
        combos = list(itertools.product(goods.brands, goods.adjectives, goods.nouns))
        rng.shuffle(combos)
        if "{brand}" not in goods.name:  # books: the title is adjective + noun only
            titles = {
                (adjective, noun.name): (brand, adjective, noun)
                for brand, adjective, noun in combos
            }
            combos = list(titles.values())
        names[leaf.slug] = iter(combos)
    states = ["listed"] * LISTED_GOODS + list(EXTRA_GOODS)
    for serial, state in enumerate(states, start=1):
        leaf = all_leaves[(serial * 7) % len(all_leaves)]  # spread extras over categories
        yield serial, leaf, state, next(names[leaf.slug])


@dataclass
class Context:
    """What goods are made with: the acting operator and the reference data."""

    operator: object
    reviewer: object  # the second person who approves what the operator submitted
    categories: dict[str, Category]
    suppliers: dict[str, Supplier]  # approved suppliers by top-level category slug
    warehouses: list[Warehouse]
    # Deliveries of the goods made in this run, booked as receipts at the end:
    # (supplier, warehouse) -> [(sku, quantity, unit cost)].
    deliveries: dict = field(default_factory=lambda: defaultdict(list))
    sold: list = field(default_factory=list)  # SKUs of goods made in this run that sell


def _context() -> Context:
    operator = _operator()
    reviewer = _operator(REVIEWER_EMAIL)
    categories = _seed_categories()
    suppliers = _seed_suppliers(categories, operator, reviewer)
    warehouses = list(_seed_reference_data().values())
    return Context(operator, reviewer, categories, suppliers, warehouses)


@transaction.atomic
def seed() -> None:
    """Create the demo catalog; running it again adds and changes nothing."""
    context = _context()
    done = set(
        SKU.objects.filter(code__startswith=DEMO_SKU_PREFIX, position=0).values_list(
            "code", flat=True
        )
    )
    for serial, leaf, state, name_parts in _demo_plan(leaves()):
        # A supplier suspended since (its document lapsed, say) gets no new goods.
        if f"{DEMO_SKU_PREFIX}{serial:04d}-1" not in done and leaf.top in context.suppliers:
            _seed_product(
                random.Random(f"demo-{serial}"),  # noqa: S311
                serial=serial,
                leaf=leaf,
                state=state,
                name_parts=name_parts,
                context=context,
            )
    # Pending spot checks for this month, as the monthly job would have made on the 1st;
    # only once, so that a later run (after bulk goods, say) samples nothing more.
    this_month = timezone.localdate().replace(day=1)
    if not SpotCheck.objects.filter(period=this_month).exists():
        admission.sample_spot_checks(period=this_month)
    _book_deliveries(context)
    _sell_a_little(context)
    _price_changes(context)
    _supplier_account(context)


def _supplier_account(context: Context) -> None:
    """The demo supplier login works for the first approved supplier (its purchase
    orders to confirm, its documents to renew)."""
    from customers.models import User

    from .accounts import SUPPLIER_LOGIN

    user = User.objects.filter(email__iexact=SUPPLIER_LOGIN).first()
    if user is None or Supplier.objects.filter(accounts=user).exists():
        return
    first = min(context.suppliers.values(), key=lambda supplier: supplier.pk, default=None)
    if first is not None:
        first.accounts.add(user)


# Demo stock arrived this long ago, and sells over the last SALES_DAYS days, so that the
# stock reports (turnover, slow movers, replenishment) have figures to show.
DELIVERED_DAYS_AGO = 90
SALES_DAYS = 60


def _unit_cost(rng: random.Random, price: Decimal) -> Decimal:
    """What the shop paid: 55 to 70 % of the selling price."""
    return to_money(price * rng.randint(55, 70) / 100)


def _book_deliveries(context: Context) -> None:
    """One purchase receipt per supplier and warehouse for the goods made in this run,
    dated ``DELIVERED_DAYS_AGO`` days back (their RECEIPT movements too)."""
    delivered_at = timezone.now() - datetime.timedelta(days=DELIVERED_DAYS_AGO)
    for (supplier, warehouse), lines in context.deliveries.items():
        receipt = purchasing.book_purchase_receipt(
            supplier=supplier,
            warehouse=warehouse,
            lines=lines,
            actor=context.operator,
            delivery_note=f"DN-DEMO-{supplier.pk}-{warehouse.code}",
        )
        # Demo history only: a real receipt is dated when it is booked.
        PurchaseReceipt.objects.filter(pk=receipt.pk).update(received_at=delivered_at)
        StockMovement.objects.filter(reference=f"receipt {receipt.pk}").update(at=delivered_at)


def _sell_a_little(context: Context) -> None:
    """A few orders of the SKUs in ``context.sold``, each reserved and shipped through
    the inventory services (so the ledger adds up), dated over the last ``SALES_DAYS``."""
    now = timezone.now()
    for sku in context.sold:
        rng = random.Random(f"demo-sales-{sku.code}")  # noqa: S311
        for order in range(rng.randint(1, 4)):
            reference = f"DEMO-ORDER-{sku.code}-{order + 1}"
            try:
                reservations = inventory.reserve(
                    sku=sku, quantity=rng.randint(1, 5), reference=reference
                )
            except CatalogError:
                break  # sold out
            for reservation in reservations:
                inventory.consume(reservation=reservation, actor=None)
            at = now - datetime.timedelta(days=rng.randint(1, SALES_DAYS), hours=rng.randint(0, 23))
            # Demo history only: orders placed (and shipped) at their day in the past.
            StockMovement.objects.filter(reference=reference).update(at=at)
            Reservation.objects.filter(pk__in=[r.pk for r in reservations]).update(
                created_at=at, closed_at=at
            )


DEMO_PROMOTION = "演示数据：双十二预热促销"


def _price_changes(context: Context) -> None:
    """Price changes of every kind, once: honest reductions with a "was" price (applied),
    announced increases (scheduled in three days) and a deep cut that waits for a second
    operator (the demo admin may approve it)."""
    if PriceChange.objects.filter(reason=DEMO_PROMOTION).exists():
        return
    skus = list(
        SKU.objects.filter(
            code__startswith=DEMO_SKU_PREFIX,
            position=0,
            is_active=True,
            product__status=Product.Status.LISTED,
        ).order_by("code")[:6]
    )
    operator = context.operator
    starts = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    starts += datetime.timedelta(days=3)
    for index, sku in enumerate(skus):
        price = pricing.current_price(sku)
        if price is None:
            continue
        if index < 3:
            pricing.request_price_change(
                sku=sku,
                amount=to_money(price.amount * Decimal("0.85")),
                reference_amount=price.amount,
                actor=operator,
                reason=DEMO_PROMOTION,
            )
        elif index < 5:
            pricing.request_price_change(
                sku=sku,
                amount=to_money(price.amount * Decimal("1.08")),
                effective_at=starts,
                actor=operator,
                reason="演示数据：原料成本上涨，提前公示",
            )
        else:
            pricing.request_price_change(
                sku=sku,
                amount=to_money(price.amount * Decimal("0.6")),
                actor=operator,
                reason="演示数据：临期清仓，需第二位运营人员审批",
                # Below the moving-average cost: the price floor asks why.
                below_cost_reason="临期清仓：保质期不足 30 天，低于成本出售",
            )


def _seed_product(rng, *, serial, leaf, state, name_parts, context: Context):
    operator = context.operator
    fields, skus = make_up_goods(rng, leaf, name_parts=name_parts)
    fields["featured"] = state == "listed" and serial % 20 == 1
    if state == "prohibited":
        word, text = PROHIBITED_TEXTS[serial % len(PROHIBITED_TEXTS)]
        fields["name"] = f"{fields['name']}（{word}）"[:120]
        fields["description"] = f"{text}{fields['description']}"
    product = listing.create_product(
        supplier=context.suppliers[leaf.top],
        category=context.categories[leaf.slug],
        actor=operator,
        **fields,
    )
    sku_rows = [
        listing.add_sku(
            product=product,
            code=f"{DEMO_SKU_PREFIX}{serial:04d}-{position}",
            weight_grams=weight,
            spec=spec,
            barcode=barcode,
        )
        for position, (spec, weight, _, barcode) in enumerate(skus, start=1)
    ]
    if state != "draft":  # drafts lack pictures: the review refuses them until added
        for variant in range(rng.randint(1, 3)):
            # Each demo product its own pictures (the bulk goods share the pool's).
            upload = ContentFile(picture(f"{leaf.top}-{serial}", variant), name="demo.jpg")
            listing.add_product_image(product=product, upload=upload, alt=fields["name"][:120])
    for sku, (_, _, price, _) in zip(sku_rows, skus, strict=True):
        pricing.set_price(sku=sku, amount=price, actor=operator, reason="演示数据：初始定价")
    costs = random.Random(f"demo-costs-{serial}")  # noqa: S311  (apart: keeps `rng`'s draws)
    if state in ("draft", "prohibited"):
        return
    admission.submit_product(product=product, actor=operator)
    if state == "submitted":
        return
    if state == "rejected":
        admission.reject_product(
            product=product, actor=context.reviewer, reason=REJECTIONS[serial % len(REJECTIONS)]
        )
        return
    admission.approve_product(product=product, actor=context.reviewer)
    admission.list_product(product=product, actor=operator)
    supplier = context.suppliers[leaf.top]
    for position, (sku, (_, _, price, _)) in enumerate(zip(sku_rows, skus, strict=True)):
        if position and rng.random() < 0.1:
            continue  # now and then a variant is out of stock
        cost = _unit_cost(costs, price)
        sells = state == "listed" and costs.random() < 0.35
        # A few selling SKUs got only a small delivery: the replenishment report lists them.
        scarce = sells and costs.random() < 0.3
        for warehouse in context.warehouses:
            quantity = rng.randint(20, 300)
            if scarce:
                quantity = costs.randint(3, 8)
            context.deliveries[supplier, warehouse].append((sku, quantity, cost))
        if sells:
            context.sold.append(sku)
    if state == "delisted":
        admission.delist_product(
            product=product, actor=operator, reason=DELISTINGS[serial % len(DELISTINGS)]
        )


# --- Bulk goods for benchmarks -------------------------------------------------------------------


def bulk_goods_count() -> int:
    return SKU.objects.filter(code__startswith=BULK_SKU_PREFIX, position=0).count()


def _bulk_pictures(pool: PicturePool) -> dict[str, list[tuple[str, str, str]]]:
    """Picture files on disk shared by all bulk goods: (image, small, medium) names."""
    files: dict[str, list[tuple[str, str, str]]] = {}
    for node in TREE:
        files[node.slug] = []
        for variant in range(pool.per_category):
            names = tuple(
                f"products/demo-pool/{node.slug}-{variant}{suffix}.jpg"
                for suffix in ("", "_s", "_m")
            )
            if not all(default_storage.exists(name) for name in names):
                made = process_product_image(
                    ContentFile(pool.get(node.slug, variant), name="pool.jpg")
                )
                for name, key in zip(names, ("image", "thumb_small", "thumb_medium"), strict=True):
                    if default_storage.exists(name):
                        default_storage.delete(name)
                    default_storage.save(name, made[key])
            files[node.slug].append(names)
    return files


def seed_bulk(*, size: int, batch_size: int = 5000, progress=None) -> int:
    """Top the catalog up to ``size`` bulk-generated listed goods; returns how many were
    added. Needs the demo catalog (``seed()``) for its categories and suppliers.

    Each batch is one transaction: products with their submit/approve/list history, SKUs,
    a current price per SKU, stock in every warehouse with the receipt that explains it
    (the ledger sums to ``on_hand``), and pictures shared from a small pool on disk.
    """
    context = _context()
    all_leaves = [leaf for leaf in leaves() if leaf.top in context.suppliers]
    pictures = _bulk_pictures(PicturePool())
    start = bulk_goods_count()
    started = time.monotonic()
    for first in range(start, size, batch_size):
        last = min(size, first + batch_size)
        with transaction.atomic():
            _bulk_batch(range(first, last), all_leaves, context, pictures)
        if progress:
            progress(last, size, time.monotonic() - started)
    if size > start:
        # Fresh statistics, so that the planner sees the new size of the catalog at once
        # rather than after autovacuum gets round to it.
        with connection.cursor() as cursor:
            for model in (
                Product,
                ProductImage,
                ProductStatusChange,
                SKU,
                SkuPrice,
                Stock,
                StockMovement,
                PurchaseReceiptLine,
            ):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
        search_services.rebuild_search_terms()
    return max(0, size - start)


def _bulk_batch(serials: range, leaves: list[Leaf], context: Context, pictures) -> None:
    rng = random.Random(f"bulk-{serials.start}")  # noqa: S311
    operator = context.operator
    now = timezone.now()
    drafts = []
    for serial in serials:
        leaf = leaves[rng.randrange(len(leaves))]
        fields, skus = make_up_goods(rng, leaf)
        listed_at = now - datetime.timedelta(seconds=rng.randint(60, 180 * 86400))
        product = Product(
            supplier=context.suppliers[leaf.top],
            category=context.categories[leaf.slug],
            status=Product.Status.LISTED,
            status_changed_at=listed_at,
            listed_at=listed_at,
            featured=serial % 1000 == 999,
            created_by=operator,
            **fields,
        )
        product.search_text = listing.build_search_text(product)
        drafts.append((serial, leaf, product, skus, listed_at))
    Product.objects.bulk_create([draft[2] for draft in drafts])
    # created_at is set to "now" on insert; goods were created before they were listed.
    Product.objects.filter(pk__in=[draft[2].pk for draft in drafts]).update(
        created_at=F("listed_at") - datetime.timedelta(days=2), updated_at=F("listed_at")
    )

    history, sku_rows, images = [], [], []
    for serial, leaf, product, skus, listed_at in drafts:
        submitted = listed_at - datetime.timedelta(hours=26)
        for transition, source, target, at in (
            ("submit", "draft", "submitted", submitted),
            ("approve", "submitted", "approved", listed_at - datetime.timedelta(hours=2)),
            ("list", "approved", "listed", listed_at),
        ):
            history.append(
                ProductStatusChange(
                    subject=product,
                    transition=transition,
                    from_state=source,
                    to_state=target,
                    actor=operator,
                    at=at,
                )
            )
        for position, (spec, weight, price, barcode) in enumerate(skus):
            sku = SKU(
                product=product,
                code=f"{BULK_SKU_PREFIX}{serial:07d}-{position + 1}",
                barcode=barcode,
                spec=spec,
                weight_grams=weight,
                position=position,
            )
            sku_rows.append((sku, price, listed_at))
        pool = pictures[leaf.top]
        for position in range(1 + serial % 3):
            image, small, medium = pool[(serial + position) % len(pool)]
            images.append(
                ProductImage(
                    product=product,
                    image=image,
                    thumb_small=small,
                    thumb_medium=medium,
                    alt=product.name,
                    position=position,
                )
            )
    ProductStatusChange.objects.bulk_create(history)
    ProductImage.objects.bulk_create(images)
    SKU.objects.bulk_create([row[0] for row in sku_rows])

    prices, stocks, costs = [], [], {}
    cost_rng = random.Random(f"bulk-costs-{serials.start}")  # noqa: S311
    for sku, price, listed_at in sku_rows:
        costs[sku.pk] = _unit_cost(cost_rng, price)
        prices.append(
            SkuPrice(
                sku=sku,
                amount=price,
                valid_from=listed_at - datetime.timedelta(days=1),
                set_by=operator,
                reason="演示数据：初始定价",
            )
        )
        for warehouse in context.warehouses:
            stocks.append(
                Stock(sku=sku, warehouse=warehouse, on_hand=rng.randint(1, 500), reserved=0)
            )
    SkuPrice.objects.bulk_create(prices)
    price_ranges.refresh_price_ranges(product.pk for _s, _l, product, _k, _a in drafts)
    Stock.objects.bulk_create(stocks)
    # What book_purchase_receipt would have written: a receipt per supplier and warehouse,
    # a line per SKU with its cost, and the RECEIPT movement that explains the stock.
    supplier_of = {sku.pk: sku.product.supplier_id for sku, _, _ in sku_rows}
    receipts = {
        key: PurchaseReceipt(
            supplier_id=key[0],
            warehouse_id=key[1],
            delivery_note=f"DN-BULK-{serials.start}",
            received_by=operator,
            received_at=now,
        )
        for key in sorted({(supplier_of[s.sku_id], s.warehouse_id) for s in stocks})
    }
    PurchaseReceipt.objects.bulk_create(receipts.values())
    receipt_of = {
        stock.pk: receipts[supplier_of[stock.sku_id], stock.warehouse_id] for stock in stocks
    }
    PurchaseReceiptLine.objects.bulk_create(
        PurchaseReceiptLine(
            receipt=receipt_of[stock.pk],
            sku_id=stock.sku_id,
            quantity=stock.on_hand,
            unit_cost=costs[stock.sku_id],
        )
        for stock in stocks
    )
    StockMovement.objects.bulk_create(
        StockMovement(
            stock=stock,
            kind=StockMovement.Kind.RECEIPT,
            quantity=stock.on_hand,
            reference=f"receipt {receipt_of[stock.pk].pk}",
            actor=operator,
            at=now,
        )
        for stock in stocks
    )

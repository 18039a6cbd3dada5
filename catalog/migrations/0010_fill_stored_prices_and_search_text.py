"""Fill the stored price ranges and re-segment the search text of existing goods."""

from django.db import migrations

PRICE_RANGES = """
UPDATE catalog_product p SET price_min = r.low, price_max = r.high
FROM (
    SELECT s.product_id, MIN(sp.amount) AS low, MAX(sp.amount) AS high
    FROM catalog_sku s
    JOIN catalog_skuprice sp ON sp.sku_id = s.id
     AND sp.valid_from <= now() AND (sp.valid_to IS NULL OR sp.valid_to > now())
    WHERE s.is_active
    GROUP BY s.product_id
) r
WHERE r.product_id = p.id
"""


def fill(apps, schema_editor):
    from catalog.services.listing import build_search_text

    Product = apps.get_model("catalog", "Product")
    schema_editor.execute(PRICE_RANGES)
    batch = []
    for product in Product.objects.only(
        "pk", "name", "subtitle", "brand", "origin", "attributes", "description"
    ).iterator(chunk_size=2000):
        product.search_text = build_search_text(product)
        batch.append(product)
        if len(batch) == 2000:
            Product.objects.bulk_update(batch, ["search_text"])
            batch = []
    Product.objects.bulk_update(batch, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_stored_prices_and_search")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]

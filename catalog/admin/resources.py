"""Goods in and out of spreadsheets (CSV, XLSX) with django-import-export: one row per SKU.

Columns, in this order::

    supplier_credit_code  category_slug  product_name  subtitle  brand  description
    origin  after_sales_terms  sku_code  spec  weight_grams  barcode

``spec`` is written ``颜色=红;尺码=M``. The rows of one product repeat its columns; a row
belongs to the goods that already have its SKU code, else to the goods of that supplier
with that name (earlier in the file or in the shop), else to new goods.

Import only creates or changes *draft* goods: a row about goods in any other state is an
error (they go back to draft with "revise" first). Every row is validated and the preview
reports each row's problems; when any row fails nothing is written (the library runs the
import in one transaction and we ask it to roll back on validation errors too). Goods are
created and changed through ``catalog.services.listing`` so they get the same checks and
search text as goods made in the admin.
"""

from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from catalog.models import SKU, Category, Product, Supplier
from catalog.services import listing

# Cells starting with these are formulas to a spreadsheet: exported with a leading
# apostrophe (which spreadsheets hide) and read back without it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Columns that describe the goods (the product), and the product field each one sets.
PRODUCT_COLUMNS = {
    "product_name": "name",
    "subtitle": "subtitle",
    "brand": "brand",
    "description": "description",
    "origin": "origin",
    "after_sales_terms": "after_sales_terms",
}
# Columns of the SKU itself, by the SKU field they set.
SKU_COLUMNS = {
    "code": "sku_code",
    "spec": "spec",
    "weight_grams": "weight_grams",
    "barcode": "barcode",
}
COLUMNS = (
    "supplier_credit_code",
    "category_slug",
    *PRODUCT_COLUMNS,
    "sku_code",
    "spec",
    "weight_grams",
    "barcode",
)


class CellTextWidget(widgets.Widget):
    """Text in a cell. Spreadsheet numbers (barcodes, codes) are read as their digits."""

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        if text[:1] == "'" and text[1:2] and text[1:2] in FORMULA_STARTS:
            text = text[1:]
        return text

    def render(self, value, obj=None, **kwargs):
        text = "" if value is None else str(value)
        return "'" + text if text[:1] in FORMULA_STARTS else text


class CodeWidget(CellTextWidget):
    """Codes are compared and stored in capitals."""

    def clean(self, value, row=None, **kwargs):
        return super().clean(value, row, **kwargs).upper()


class SpecWidget(widgets.Widget):
    """A SKU's specification as ``name=value`` pairs separated by ``;`` (``；`` and ``＝``
    as typed with a Chinese input method work too)."""

    def clean(self, value, row=None, **kwargs):
        text = CellTextWidget().clean(value)
        spec = {}
        for pair in text.replace("；", ";").replace("＝", "=").split(";"):
            if not pair.strip():
                continue
            name, sep, val = (part.strip() for part in pair.partition("="))
            if not sep or not name or not val:
                raise ValueError(
                    gettext("“%(pair)s” is not written name=value (e.g. 颜色=红;尺码=M).")
                    % {"pair": pair.strip()}
                )
            if name in spec:
                raise ValueError(gettext("“%(name)s” is given twice.") % {"name": name})
            spec[name] = val
        return spec

    def render(self, value, obj=None, **kwargs):
        return ";".join(f"{name}={val}" for name, val in (value or {}).items())


class GramsWidget(widgets.Widget):
    """A weight in whole grams, above zero."""

    def clean(self, value, row=None, **kwargs):
        text = CellTextWidget().clean(value)
        try:
            grams = Decimal(text)
        except InvalidOperation:
            grams = None
        if grams is None or not grams.is_finite() or grams != grams.to_integral() or grams <= 0:
            raise ValueError(
                gettext("The weight must be a whole number of grams above zero, not “%(value)s”.")
                % {"value": text}
            )
        return int(grams)

    def render(self, value, obj=None, **kwargs):
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


def _differs(product: Product, wanted: dict) -> bool:
    return product.category_id != wanted["category"].pk or any(
        getattr(product, field) != value for field, value in wanted.items() if field != "category"
    )


def _product_field(column, attribute):
    # Read-only for the library: rows set goods through the listing services instead.
    return fields.Field(
        attribute=f"product__{attribute}",
        column_name=column,
        widget=CellTextWidget(),
        readonly=True,
    )


class ProductResource(resources.ModelResource):
    supplier_credit_code = _product_field("supplier_credit_code", "supplier__credit_code")
    category_slug = _product_field("category_slug", "category__slug")
    product_name = _product_field("product_name", "name")
    subtitle = _product_field("subtitle", "subtitle")
    brand = _product_field("brand", "brand")
    description = _product_field("description", "description")
    origin = _product_field("origin", "origin")
    after_sales_terms = _product_field("after_sales_terms", "after_sales_terms")
    sku_code = fields.Field(attribute="code", column_name="sku_code", widget=CodeWidget())
    spec = fields.Field(attribute="spec", column_name="spec", widget=SpecWidget())
    weight_grams = fields.Field(
        attribute="weight_grams", column_name="weight_grams", widget=GramsWidget()
    )
    barcode = fields.Field(attribute="barcode", column_name="barcode", widget=CellTextWidget())

    class Meta:
        model = SKU
        name = _("Goods, one row per SKU")
        fields = COLUMNS
        import_order = COLUMNS
        export_order = COLUMNS
        import_id_fields = ("sku_code",)
        use_transactions = True
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._suppliers: dict[str, Supplier] = {}
        self._categories: dict[str, Category] = {}
        self._rows_of_code: dict[str, list[int]] = {}
        self._goods_in_file: dict[tuple[int, str], Product] = {}
        self._first_row_of_goods: dict[int, tuple[int, dict]] = {}

    # --- Export ---------------------------------------------------------------------------

    def get_queryset(self):
        return SKU.objects.select_related("product__supplier", "product__category")

    def filter_export(self, queryset, **kwargs):
        """The admin passes the goods of its changelist; export their SKUs."""
        if queryset.model is Product:
            queryset = self.get_queryset().filter(product__in=queryset.order_by().values("pk"))
        return queryset.order_by("product_id", "position", "pk")

    # --- Import ---------------------------------------------------------------------------

    def import_data(self, dataset, **kwargs):
        # A row that fails validation must stop the whole file, not just itself.
        kwargs["rollback_on_validation_errors"] = True
        return super().import_data(dataset, **kwargs)

    def before_import(self, dataset, **kwargs):
        missing = [column for column in COLUMNS if column not in (dataset.headers or [])]
        if missing:
            dataset.wipe()
            raise ValueError(
                gettext("The file lacks the columns: %(columns)s.")
                % {"columns": ", ".join(missing)}
            )
        for index in reversed(range(len(dataset))):
            if not any(CellTextWidget().clean(cell) for cell in dataset[index]):
                del dataset[index]  # blank lines spreadsheets leave at the end
        rows = dataset.dict
        codes = {CodeWidget().clean(row["supplier_credit_code"]) for row in rows}
        slugs = {CellTextWidget().clean(row["category_slug"]) for row in rows}
        self._suppliers = {s.credit_code: s for s in Supplier.objects.filter(credit_code__in=codes)}
        self._categories = {c.slug: c for c in Category.objects.filter(slug__in=slugs)}
        self._rows_of_code = defaultdict(list)
        for number, row in enumerate(rows, 1):
            code = CodeWidget().clean(row["sku_code"])
            if code:
                self._rows_of_code[code].append(number)

    def get_instance(self, instance_loader, row):
        code = CodeWidget().clean(row.get("sku_code"))
        if not code:
            return None
        return self.get_queryset().filter(code__iexact=code).first()

    def import_instance(self, instance, row, **kwargs):
        errors = defaultdict(list)
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            for key, messages in error.update_error_dict({}).items():
                errors[SKU_COLUMNS.get(key, key)].extend(messages)

        number = kwargs.get("row_number")
        rows = self._rows_of_code.get(instance.code or "", [])
        if rows and rows[0] != number:
            errors["sku_code"].append(
                gettext("The SKU code %(code)s is already in row %(row)s of this file.")
                % {"code": instance.code, "row": rows[0]}
            )
        credit_code = CodeWidget().clean(row.get("supplier_credit_code"))
        supplier = self._suppliers.get(credit_code)
        if supplier is None:
            errors["supplier_credit_code"].append(
                gettext("No supplier has the credit code “%(code)s”.") % {"code": credit_code}
            )
        slug = CellTextWidget().clean(row.get("category_slug"))
        category = self._categories.get(slug)
        if category is None:
            errors["category_slug"].append(
                gettext("No category has the slug “%(slug)s”.") % {"slug": slug}
            )
        goods_fields = {
            field: CellTextWidget().clean(row.get(column))
            for column, field in PRODUCT_COLUMNS.items()
        }
        if not goods_fields["name"]:
            errors["product_name"].append(gettext("The product name is missing."))

        if not errors:
            product = self._find_goods(instance, supplier, goods_fields["name"], errors)
            if not errors:
                self._write_goods(
                    instance, product, supplier, category, goods_fields, number, errors, **kwargs
                )
        if errors:
            raise ValidationError(dict(errors))

    def _find_goods(self, sku, supplier, name, errors) -> Product | None:
        """The goods this row is about (None: new goods), or an error."""
        if sku.pk is not None:
            product = sku.product
            if product.supplier_id != supplier.pk:
                errors["supplier_credit_code"].append(
                    gettext("The SKU %(code)s belongs to goods of another supplier: %(other)s.")
                    % {"code": sku.code, "other": product.supplier}
                )
                return None
        elif (supplier.pk, name) in self._goods_in_file:
            product = self._goods_in_file[(supplier.pk, name)]
        else:
            found = list(Product.objects.filter(supplier=supplier, name=name).order_by("pk")[:2])
            if len(found) > 1:
                errors["product_name"].append(
                    gettext(
                        "This supplier has several goods called “%(name)s”: give the code of "
                        "one of their SKUs to say which."
                    )
                    % {"name": name}
                )
                return None
            product = found[0] if found else None
        if product is not None and product.status != Product.Status.DRAFT:
            errors[NON_FIELD_ERRORS].append(
                gettext(
                    "“%(product)s” is “%(status)s”: import changes draft goods only. "
                    "Revise it back to draft first."
                )
                % {"product": product, "status": product.get_status_display()}
            )
        return product

    def _write_goods(self, sku, product, supplier, category, goods_fields, number, errors, **kw):
        """Create or change the goods once, from their first row; later rows must agree."""
        wanted = {**goods_fields, "category": category}
        if product is not None and product.pk in self._first_row_of_goods:
            first_row, first = self._first_row_of_goods[product.pk]
            for column, field in [*PRODUCT_COLUMNS.items(), ("category_slug", "category")]:
                if wanted[field] != first[field]:
                    errors[column].append(
                        gettext("Differs from row %(row)s, which is about the same goods.")
                        % {"row": first_row}
                    )
        else:
            try:
                if product is None:
                    product = listing.create_product(
                        supplier=supplier, actor=kw.get("user"), **wanted
                    )
                elif _differs(product, wanted):
                    product = listing.update_product(
                        product=product, actor=kw.get("user"), **wanted
                    )
            except ValidationError as error:
                columns = {field: column for column, field in PRODUCT_COLUMNS.items()}
                columns["category"] = "category_slug"
                for key, messages in error.message_dict.items():
                    errors[columns.get(key, key)].extend(messages)
                return
            self._first_row_of_goods[product.pk] = (number, wanted)
        self._goods_in_file[(supplier.pk, goods_fields["name"])] = product
        if sku.pk is None:
            sku.product = product
            sku.position = product.skus.count()

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = defaultdict(list, import_validation_errors or {})
        exclude = set(errors) | {field for field, column in SKU_COLUMNS.items() if column in errors}
        if instance.product_id is None:
            exclude.add("product")  # its row already reports why there are no goods
        try:
            instance.full_clean(exclude=exclude, validate_unique=validate_unique)
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors[SKU_COLUMNS.get(key, key)].extend(messages)
        if errors:
            raise ValidationError(dict(errors))

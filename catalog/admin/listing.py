"""Admin for listings: the category tree, goods (the review queue), SKUs and prices.

Goods change state only through the actions (``catalog.services.admission``); goods that
are not draft or rejected are read-only here, as the rules say: revise them to draft,
change them, and submit them for review again.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Count, F, OuterRef, Subquery, Sum
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm
from import_export.tmp_storages import CacheStorage

from catalog.exceptions import InvalidUpload
from catalog.forms import goods as goods_forms
from catalog.models import (
    PRODUCT_INFO_FIELDS,
    PRODUCT_MACHINE,
    SKU,
    Category,
    CategoryAttribute,
    DocumentType,
    Product,
    ProductImage,
    ProductStatusChange,
    SearchSynonym,
    SkuPrice,
    Stock,
)
from catalog.services import admission, listing, pages, price_ranges
from catalog.services import search as search_services
from catalog.services.media import check_video, process_product_image
from mall.admin import approval
from mall.admin.actions import ServiceActionsMixin, make_admin_action, transition_action
from mall.admin.history import TransitionHistoryInline
from mall.approval import asked_by_id
from mall.money import format_money

from .resources import ProductResource


def _processed_upload(form, field, process):
    """Run a new upload of ``field`` through a media service; its refusal is a form error."""
    upload = form.cleaned_data.get(field)
    if not isinstance(upload, UploadedFile):
        return upload
    try:
        return process(upload)
    except InvalidUpload as error:
        raise ValidationError(str(error), code="invalid_upload") from error


# --- Categories ----------------------------------------------------------------------------


class CategoryForm(forms.ModelForm):
    required_documents = forms.TypedMultipleChoiceField(
        label=_("documents its suppliers need"),
        choices=DocumentType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Subcategories inherit these."),
    )
    required_info = forms.TypedMultipleChoiceField(
        label=_("product information it requires"),
        choices=list(PRODUCT_INFO_FIELDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Subcategories inherit these."),
    )

    class Meta:
        model = Category
        fields = (
            "name",
            "name_en",
            "slug",
            "parent",
            "position",
            "is_active",
            "required_documents",
            "required_info",
        )


class CategoryAttributeInline(admin.TabularInline):
    model = CategoryAttribute
    extra = 0
    fields = ("code", "name", "kind", "choices", "required", "filterable", "position")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ("tree_name", "slug", "position", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name_en",)}
    inlines = [CategoryAttributeInline]
    list_per_page = 500  # the tree is shown whole, in tree order

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        pages.listings_changed()  # menus, breadcrumbs and filters show categories

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        pages.listings_changed()

    def get_changelist_instance(self, request):
        """Rows in tree order, each knowing its depth; one query for the whole tree."""
        changelist = super().get_changelist_instance(request)
        parents, keys = {}, {}
        for pk, parent_id, position, name in Category.objects.values_list(
            "pk", "parent_id", "position", "name"
        ):
            parents[pk], keys[pk] = parent_id, (position, name, pk)

        def path(pk):
            lineage, seen = [], set()
            while pk is not None and pk not in seen:
                seen.add(pk)
                lineage.append(keys.get(pk, (0, "", pk)))
                pk = parents.get(pk)
            return lineage[::-1]

        rows = list(changelist.result_list)
        for row in rows:
            row.tree_depth = len(path(row.pk)) - 1
        if not request.GET.get("o"):
            rows.sort(key=lambda row: path(row.pk))
        changelist.result_list = rows
        return changelist

    @admin.display(description=_("name"), ordering="name")
    def tree_name(self, obj):
        depth = getattr(obj, "tree_depth", 0)
        return format_html('<span style="padding-left:{}em">{}</span>', depth * 1.5, obj.name)


# --- Goods -----------------------------------------------------------------------------------

EDITABLE_STATES = {Product.Status.DRAFT, Product.Status.REJECTED}
# What review examines: everything a supplier writes (the service's editable fields but
# the operator's own "featured" mark), and the video.
CONTENT_FIELDS = (*(f for f in listing.EDITABLE_FIELDS if f != "featured"), "video")
# Stored as JSON, edited as fields made from the category's schema (ProductForm).
SCHEMA_JSON = ("info", "attributes")


def _content_editable(product) -> bool:
    return product is None or product.status in EDITABLE_STATES


class ContentInlineMixin:
    """SKUs and images change with the goods' content: only while draft or rejected."""

    def has_add_permission(self, request, obj=None):
        return _content_editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return _content_editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _content_editable(obj) and super().has_delete_permission(request, obj)


class SKUForm(forms.ModelForm):
    """A SKU; its specification is one field per axis of its goods (``axes``, set by
    ``SKUInline.get_formset``), not JSON."""

    axes: tuple[str, ...] = ()

    class Meta:
        model = SKU
        fields = ("code", "barcode", "weight_grams", "is_active", "position")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        spec = self.instance.spec or {}
        for index, axis in enumerate(self.axes):
            name = f"{goods_forms.SPEC_PREFIX}{index}"
            if name in self.fields:
                self.fields[name].initial = spec.get(axis, "")

    def _post_clean(self):
        super()._post_clean()
        spec = dict(self.instance.spec or {})
        for index, axis in enumerate(self.axes):
            value = (self.cleaned_data.get(f"{goods_forms.SPEC_PREFIX}{index}") or "").strip()
            if value:
                spec[axis] = value
            else:
                spec.pop(axis, None)
        self.instance.spec = spec

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        taken = SKU.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                _("Another SKU already has the code %(code)s."), params={"code": code}
            )
        return code


def sku_form_for(axes: list[str]) -> type[SKUForm]:
    """``SKUForm`` with a text field per specification axis, labelled by the axis."""
    fields = {
        f"{goods_forms.SPEC_PREFIX}{index}": forms.CharField(
            label=axis, required=False, max_length=50
        )
        for index, axis in enumerate(axes)
    }
    return type("SKUSpecForm", (SKUForm,), {**fields, "axes": tuple(axes)})


def spec_axes(product) -> list[str]:
    """The axes of a product's SKUs, in the order they first appear (one query)."""
    if product is None or product.pk is None:
        return []
    axes: dict[str, None] = {}
    for spec in product.skus.order_by("position", "pk").values_list("spec", flat=True):
        axes.update(dict.fromkeys(spec or {}))
    return list(axes)


class SKUFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            code = getattr(form, "cleaned_data", {}).get("code")
            if not code or form.cleaned_data.get("DELETE"):
                continue
            if code in seen:
                form.add_error("code", _("This code is given twice."))
            seen.add(code)


class SKUInline(ContentInlineMixin, admin.TabularInline):
    model = SKU
    form = SKUForm
    formset = SKUFormSet
    extra = 0
    fields = ("code", "barcode", "spec", "weight_grams", "is_active", "position")

    def get_fields(self, request, obj=None):
        if not _content_editable(obj):
            return self.fields  # read-only: the specification as stored
        specs = [f"{goods_forms.SPEC_PREFIX}{i}" for i in range(len(spec_axes(obj)))]
        return ("code", "barcode", *specs, "weight_grams", "is_active", "position")

    def get_formset(self, request, obj=None, **kwargs):
        if _content_editable(obj):
            axes = spec_axes(obj)
            kwargs["form"] = sku_form_for(axes)
            kwargs["fields"] = ("code", "barcode", "weight_grams", "is_active", "position")
        return super().get_formset(request, obj, **kwargs)


class ProductImageForm(forms.ModelForm):
    """Images are re-encoded (no EXIF, nothing riding along) and thumbnailed on upload."""

    # A plain file field: the media service, not Django's image field, judges the file.
    image = forms.FileField(
        label=_("image"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )

    class Meta:
        model = ProductImage
        fields = ("image", "alt", "position")

    def clean_image(self):
        def process(upload):
            files = process_product_image(upload)
            self.instance.thumb_small = files["thumb_small"]
            self.instance.thumb_medium = files["thumb_medium"]
            return files["image"]

        return _processed_upload(self, "image", process)


class ProductImageInline(ContentInlineMixin, admin.TabularInline):
    model = ProductImage
    form = ProductImageForm
    extra = 0
    fields = ("thumbnail", "image", "alt", "position")
    readonly_fields = ("thumbnail",)

    @admin.display(description=_("thumbnail"))
    def thumbnail(self, obj):
        if obj is None or not obj.thumb_small:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="max-height:80px;max-width:80px">', obj.thumb_small.url
        )


class ProductHistoryInline(TransitionHistoryInline):
    model = ProductStatusChange
    status_choices = dict(Product.Status.choices)
    machine = PRODUCT_MACHINE


class ProductForm(forms.ModelForm):
    """The goods' content, with their information and attributes as fields made from the
    category's schema (``catalog.forms.goods``) instead of JSON, and the variant generator
    (``variants``: axes whose combinations become SKUs when the goods are saved)."""

    variants = goods_forms.VariantsField(
        label=_("variant generator"),
        required=False,
        help_text=_(
            "One axis a line, its values after a colon: “颜色：黑色，白色” and "
            "“存储：128GB，256GB” add four SKUs when you save. Combinations the goods "
            "already have are skipped."
        ),
    )
    variant_weight = forms.IntegerField(
        label=_("weight of each new SKU (g)"), required=False, min_value=1
    )

    class Meta:
        model = Product
        fields = ("supplier", "featured", *(f for f in CONTENT_FIELDS if f not in SCHEMA_JSON))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.category = self._category()
        self.fields.update(goods_forms.info_fields(self.category, self.instance.info or {}))
        self.schema = {a.code: a.kind for a in self._schema()}
        self.fields.update(
            goods_forms.attribute_fields(self.category, self.instance.attributes or {})
        )

    def _category(self):
        """The category the fields are made for: the one posted, asked for in the address
        (``?category=``, the add page reloads with it when the choice changes) or saved."""
        key = self.data.get("category") or self.initial.get("category")
        if key:
            return Category.objects.filter(pk=key).first()
        return self.instance.category if self.instance.category_id else None

    def _schema(self):
        from catalog.services.admission.rules import attribute_schema

        return attribute_schema(self.category) if self.category is not None else []

    def clean_video(self):
        return _processed_upload(self, "video", check_video)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("variants") and not cleaned.get("variant_weight"):
            self.add_error("variant_weight", _("Give the weight of the new SKUs."))
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        info = {k: v for k, v in (self.instance.info or {}).items()}
        for key, value in goods_forms.collect(self.cleaned_data, goods_forms.INFO_PREFIX).items():
            if value:
                info[key] = value
            else:
                info.pop(key, None)
        self.instance.info = info
        attributes = dict(self.instance.attributes or {})
        posted = goods_forms.collect(self.cleaned_data, goods_forms.ATTRIBUTE_PREFIX)
        for code, value in posted.items():
            stored = goods_forms.attribute_value(self.schema.get(code), value)
            if stored is None:
                attributes.pop(code, None)
            else:
                attributes[code] = stored
        self.instance.attributes = attributes


class ProductStatusFilter(admin.SimpleListFilter):
    """The review queue first: goods waiting for a reviewer."""

    title = _("status")
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        queue = (Product.Status.SUBMITTED, _("Review queue (submitted)"))
        return [queue, *(c for c in Product.Status.choices if c[0] != Product.Status.SUBMITTED)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


def _goods_action(transition, label, done, service, reason_label=None):
    def perform(product, actor, reason):
        if reason_label is None:
            return service(product=product, actor=actor)
        return service(product=product, actor=actor, reason=reason)

    return transition_action(
        PRODUCT_MACHINE,
        transition,
        label=label,
        done=done,
        perform=perform,
        reason_label=reason_label,
    )


PRODUCT_ACTIONS = [
    _goods_action(
        "submit",
        _("Submit for review"),
        _("%(count)d product(s) submitted for review."),
        admission.submit_product,
    ),
    _goods_action(
        "approve", _("Approve"), _("%(count)d product(s) approved."), admission.approve_product
    ),
    _goods_action(
        "reject",
        _("Reject"),
        _("%(count)d product(s) rejected."),
        admission.reject_product,
        reason_label=_("Reason (recorded and shown to the supplier)"),
    ),
    _goods_action(
        "list", _("List (put on sale)"), _("%(count)d product(s) listed."), admission.list_product
    ),
    _goods_action(
        "delist",
        _("Delist (take off sale)"),
        _("%(count)d product(s) delisted."),
        admission.delist_product,
        reason_label=_("Reason for delisting"),
    ),
    _goods_action(
        "revise",
        _("Revise (back to draft)"),
        _("%(count)d product(s) back to draft."),
        admission.revise_product,
    ),
]


def _current_prices():
    now = timezone.now()
    return (
        SkuPrice.objects.filter(sku=OuterRef("pk"), valid_from__lte=now)
        .exclude(valid_to__lte=now)
        .order_by("-valid_from")
    )


class ProductAwaitingMyReviewFilter(approval.AwaitingMyApprovalFilter):
    """Submitted goods the viewer did not submit (four eyes)."""

    pending_state = Product.Status.SUBMITTED
    asked_by_history = (ProductStatusChange, "submit")


@admin.register(Product)
class ProductAdmin(
    approval.DecisionButtonsMixin, ServiceActionsMixin, ImportExportMixin, admin.ModelAdmin
):
    decision_actions = ("submit", "approve", "reject", "list")
    form = ProductForm

    class Media:
        js = ("catalog/admin/product_category.js",)

    def asked_by_id_of(self, obj):
        return asked_by_id(ProductStatusChange, obj, "submit")

    list_display = (
        "thumbnail",
        "name",
        "supplier",
        "category",
        "status",
        "price_range",
        "stock_units",
        "sku_count",
        "featured",
        "changed",
    )
    # The name opens the goods as well as the picture (goods without one have no link).
    list_display_links = ("thumbnail", "name")
    list_filter = (
        ProductAwaitingMyReviewFilter,
        ProductStatusFilter,
        "category",
        "supplier",
        "featured",
    )
    list_select_related = ("supplier", "category")
    search_fields = ("name", "skus__code")
    search_help_text = _("Name or SKU code")
    inlines = [SKUInline, ProductImageInline, ProductHistoryInline]
    service_actions = PRODUCT_ACTIONS
    actions = [make_admin_action(spec) for spec in PRODUCT_ACTIONS]
    autocomplete_fields = ("supplier",)
    readonly_fields = (
        "status",
        "status_changed_at",
        "listed_at",
        "created_by",
        "created_at",
        "updated_at",
        "current_prices",
    )
    fieldsets = (
        (None, {"fields": ("supplier", "category", "name", "subtitle", "brand", "featured")}),
        (
            _("Description"),
            {"fields": ("description", "origin", "usage", "after_sales_terms", "no_reason_return")},
        ),
        (_("Information and attributes"), {"fields": ("info", "attributes", "video")}),
        (_("Prices"), {"fields": ("current_prices",)}),
        (
            _("Review"),
            {
                "fields": (
                    "status",
                    "status_changed_at",
                    "listed_at",
                    "created_by",
                    "created_at",
                    "updated_at",
                )
            },
        ),
    )

    # Import / export (django-import-export), see catalog/admin/resources.py.
    resource_classes = [ProductResource]
    formats = [CSV, XLSX]
    export_form_class = ExportForm  # the whole row: an export can be imported again
    to_encoding = "utf-8-sig"  # so that spreadsheet programs read the Chinese right
    # The preview and the confirmation may reach different web processes: keep the
    # uploaded file in the shared cache (Redis), not in one machine's temp folder.
    tmp_storage_class = CacheStorage

    def get_queryset(self, request):
        # The list's columns come with the rows: SKUs counted, the first picture and the
        # free units as subqueries, so the page runs the same queries for any length.
        first_image = ProductImage.objects.filter(product=OuterRef("pk")).order_by("position", "pk")
        free = (
            Stock.objects.filter(sku__product=OuterRef("pk"))
            .order_by()
            .values("sku__product")
            .annotate(free=Sum(F("on_hand") - F("reserved")))
            .values("free")
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                sku_total=Count("skus", distinct=True),
                first_thumb=Subquery(first_image.values("thumb_small")[:1]),
                free_units=Subquery(free[:1]),
            )
        )

    @admin.display(description=_("picture"))
    def thumbnail(self, obj):
        if not getattr(obj, "first_thumb", None):
            return "—"
        return format_html(
            '<img src="{}" alt="" style="height:40px;width:40px;object-fit:cover">',
            default_storage.url(obj.first_thumb),
        )

    @admin.display(description=_("price"), ordering="price_min")
    def price_range(self, obj):
        if obj.price_min is None:
            return "—"
        if obj.price_max is None or obj.price_max == obj.price_min:
            return format_money(obj.price_min)
        return f"{format_money(obj.price_min)} – {format_money(obj.price_max)}"

    @admin.display(description=_("free stock"), ordering="free_units")
    def stock_units(self, obj):
        return obj.free_units or 0

    def _schema_category(self, request, obj):
        key = request.POST.get("category") or request.GET.get("category")
        if key and str(key).isdigit():
            return Category.objects.filter(pk=key).first()
        return obj.category if obj is not None else None

    def get_fieldsets(self, request, obj=None):
        """The information and attributes of the chosen category as fields of their
        own while the content may change; the stored JSON, read-only, otherwise."""
        may_edit = (
            self.has_change_permission(request, obj)
            if obj is not None
            else self.has_add_permission(request)
        )
        if not _content_editable(obj) or not may_edit:
            return self.fieldsets  # read-only: the information as stored
        category = self._schema_category(request, obj)
        generated = [
            *goods_forms.info_fields(category, obj.info if obj else {}),
            *goods_forms.attribute_fields(category, obj.attributes if obj else {}),
        ]
        fieldsets = []
        for name, options in self.fieldsets:
            if options["fields"] == ("info", "attributes", "video"):
                fields = (*generated, "video")
                options = {**options, "fields": fields}
                if category is None:
                    options["description"] = _(
                        "Choose the category first: its information and attributes appear here."
                    )
                fieldsets.append((name, options))
                fieldsets.append(
                    (_("SKUs from variants"), {"fields": ("variants", "variant_weight")})
                )
            else:
                fieldsets.append((name, options))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The generated fields are made by the form itself, for its category.
        if kwargs.get("fields"):
            kwargs["fields"] = [
                f
                for f in kwargs["fields"]
                if not f.startswith((goods_forms.INFO_PREFIX, goods_forms.ATTRIBUTE_PREFIX))
            ]
        return super().get_form(request, obj, change, **kwargs)

    def get_inlines(self, request, obj):
        # New goods have no history yet.
        return self.inlines if obj is not None else [SKUInline, ProductImageInline]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(self.readonly_fields)
        if obj is not None:
            readonly.append("supplier")  # goods do not move between suppliers
            if not _content_editable(obj):
                readonly += CONTENT_FIELDS
        return readonly

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.search_text = listing.build_search_text(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        axes = form.cleaned_data.get("variants")
        if axes:
            try:
                created = listing.generate_variants(
                    product=form.instance,
                    axes=axes,
                    weight_grams=form.cleaned_data["variant_weight"],
                )
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.WARNING)
            else:
                self.message_user(
                    request,
                    _("%(count)d SKU(s) added from the variants: %(codes)s.")
                    % {"count": len(created), "codes": ", ".join(s.code for s in created)},
                    messages.SUCCESS,
                )
        # SKUs may have gone on or off sale: the stored price range follows, and the
        # goods' cached pages are invalidated.
        price_ranges.refresh_price_ranges([form.instance.pk])

    def process_result(self, result, request):
        # The confirmation imports the file again; should it fail now (goods changed since
        # the preview), everything was rolled back: say so instead of "Import finished".
        if result.has_errors() or result.has_validation_errors():
            self.message_user(
                request,
                _(
                    "Nothing was imported: the file no longer passes the checks. Upload it again "
                    "to see the report."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(reverse("admin:catalog_product_import"))
        return super().process_result(result, request)

    def has_import_permission(self, request):
        return request.user.has_perms(
            [
                "catalog.add_product",
                "catalog.change_product",
                "catalog.add_sku",
                "catalog.change_sku",
            ]
        )

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description=_("SKUs"), ordering="sku_total")
    def sku_count(self, obj):
        return obj.sku_total

    @admin.display(description=_("status changed"), ordering="status_changed_at")
    def changed(self, obj):
        return obj.status_changed_at

    @admin.display(description=_("current prices"))
    def current_prices(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        current = _current_prices()
        skus = obj.skus.annotate(
            price=Subquery(current.values("amount")[:1]),
            since=Subquery(current.values("valid_from")[:1]),
        )
        rows = [
            (sku.code, sku.spec_label or "—", sku.price if sku.price is not None else "—")
            for sku in skus
        ]
        if not rows:
            return "—"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("SKU code"),
            _("specification"),
            _("price"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    """Read-only list of SKUs (for search and lookups); SKUs are edited with their goods."""

    list_display = ("code", "product", "spec_label", "weight_grams", "barcode", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("product",)
    search_fields = ("code", "barcode", "product__name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("specification"))
    def spec_label(self, obj):
        return obj.spec_label


@admin.register(SearchSynonym)
class SearchSynonymAdmin(admin.ModelAdmin):
    """Operators keep the words shoppers use for one another (手机壳 = 保护壳); searches
    use a change from the next request on."""

    list_display = ("__str__", "note", "updated_at")
    search_fields = ("terms", "note")

    def save_model(self, request, obj, form, change):
        try:
            search_services.save_synonym(synonym=obj, actor=request.user)
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)

    def delete_model(self, request, obj):
        search_services.delete_synonym(synonym=obj, actor=request.user)

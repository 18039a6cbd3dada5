"""The whole back office in Chinese, with a bounded number of queries per page.

The demo data is seeded once for the module (inside a transaction rolled back at the end),
then a superuser opens every registered model's list, its add page and the change page of
one of its rows. Each page must speak Chinese where the shop writes the words itself
(column headings, filter titles, form labels, help texts, fieldset and inline titles,
the state names of histories) and leave no placeholder unfilled; and each page must run
at most ``MAX_QUERIES`` queries, however much demo data there is.
"""

import contextlib
import re
from html.parser import HTMLParser

import pytest
import time_machine
from django.contrib import admin
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from customers.models import User
from ops.management.commands.seed_demo import SEEDS
from tests.clocks import MID_MONTH

pytestmark = pytest.mark.django_db

MAX_QUERIES = 60

# Words that stay as they are in Chinese text: names of standards, units and formats.
ALLOWED_WORDS = {
    "SKU",
    "SPU",
    "ID",
    "URL",
    "API",
    "PDF",
    "CSV",
    "MP4",
    "JPEG",
    "PNG",
    "EAN",
    "GTIN",
    "IP",
    "UA",
    "KPI",
    "ROI",
    "TOTP",
    "CNY",
    "HTTP",
    "JSON",
    "SQL",
    "Redis",
    "PostgreSQL",
    "Celery",
    "OpenSearch",
    "Elasticsearch",
    "GB",
    "OTP",
    "UTC",
    "QR",
    "VIP",
    "App",
    "Excel",
    "XLSX",
    "kg",
    "g",
    "cm",
    "mm",
    "ml",
    "pt",
    "px",
    "ms",
    "Alipay",
    "WeChat",
    "Pay",
    # Django's own help text for multiple selects names the keys.
    "Control",
    "Command",
    "Mac",
    "LDAP",
    # Tracked links: the UTM parameters' own names and the sources' usual values.
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "baidu",
    "douyin",
    "weibo",
}
# A word of the language: capitals alone are abbreviations (ABC, RFM, SHA), and a word
# glued to digits, dots or an @ is a code, an address or an action name in the data.
ENGLISH_WORD = re.compile(r"(?<![\w.@/-])[A-Za-z][a-z]+(?:_[a-z]+)*(?![\w.@/-])")
# The apps whose words are ours; third-party admins (django-axes, django-otp, pghistory)
# bring their own catalogues.
OUR_APPS = {"catalog", "orders", "customers", "support", "marketing", "analytics", "ops", "auth"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, _media_root):
    fast_hashing = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        time_machine.travel(MID_MONTH),
        override_settings(MEDIA_ROOT=str(_media_root), PASSWORD_HASHERS=fast_hashing),
        django_db_blocker.unblock(),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            for seed in SEEDS:
                seed()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


class ChromeText(HTMLParser):
    """Collects the text the shop writes itself on an admin page: column headings, filter
    titles, labels, help texts, fieldset and inline titles, and the history's cells."""

    WATCHED = {
        ("th", "scope", "col"),
        ("label", None, None),
        ("div", "class", "help"),
        ("h2", None, None),
        ("h3", None, None),
        ("legend", None, None),
    }

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._stack: list[bool] = []
        self._skip = 0

    def _watched(self, tag, attrs) -> bool:
        attrs = dict(attrs)
        for name, key, value in self.WATCHED:
            if tag != name:
                continue
            if key is None:
                return True
            if value in (attrs.get(key) or "").split():
                return True
        return False

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "select", "option", "textarea", "a"):
            self._skip += 1
        if tag in ("br", "input", "img", "meta", "link", "hr"):
            return
        self._stack.append(self._watched(tag, attrs))

    def handle_endtag(self, tag):
        if tag in ("script", "style", "select", "option", "textarea", "a"):
            self._skip = max(0, self._skip - 1)
        if tag in ("br", "input", "img", "meta", "link", "hr"):
            return
        if self._stack:
            self._stack.pop()

    def handle_data(self, data):
        if self._skip or not any(self._stack):
            return
        text = data.strip()
        if text:
            self.texts.append(text)


def english_in(html: str, data=()) -> list[str]:
    """The shop's own texts on the page with English words in them; ``data`` are texts
    that are the shown row's own (its name as the page's subtitle)."""
    parser = ChromeText()
    parser.feed(html)
    found = []
    for text in parser.texts:
        if text in data:
            continue
        words = [w for w in ENGLISH_WORD.findall(text) if w not in ALLOWED_WORDS]
        if words:
            found.append(text)
    return found


def placeholders_in(html: str) -> list[str]:
    body = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    body = re.sub(r'(value|data-[\w-]+|href|src)="[^"]*"', "", body)
    return PLACEHOLDER.findall(body)


def filter_titles(html: str) -> list[str]:
    return re.findall(r"<summary>\s*以\s*([^<]*?)\s*</summary>|<h3>\s*以\s*([^<]*?)\s*</h3>", html)


def our_models():
    return [model for model in admin.site._registry if model._meta.app_label in OUR_APPS]


@pytest.fixture
def superuser_client(client, seeded):
    user = User.objects.filter(is_superuser=True).first()
    client.force_login(user)
    return client


def _get(client, address):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(address, HTTP_ACCEPT_LANGUAGE="zh-hans")
    return response, len(queries)


@pytest.mark.parametrize("model", our_models(), ids=lambda m: m._meta.label_lower)
def test_every_admin_page_speaks_chinese_within_a_query_budget(superuser_client, model):
    opts = model._meta
    model_admin = admin.site._registry[model]
    problems = []
    with translation.override("zh-hans"):
        for name in ("verbose_name", "verbose_name_plural"):
            label = str(getattr(opts, name))
            if [w for w in ENGLISH_WORD.findall(label) if w not in ALLOWED_WORDS]:
                problems.append(f"model {name}: {label!r}")
    try:
        pages = [reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")]
    except NoReverseMatch:
        # An admin with its own pages only (report exports: each user sees their own,
        # through the pages the app registers), no list of rows.
        pages = []
    with contextlib.suppress(NoReverseMatch):
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    row = model_admin.get_queryset(_request(superuser_client)).order_by("-pk").first()
    if row is not None:
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk]))
    for address in pages:
        response, count = _get(superuser_client, address)
        if response.status_code in (302, 403) and address.endswith("/add/"):
            continue  # no add page for this model (rows come from a service)
        if response.status_code != 200:
            problems.append(f"{address}: status {response.status_code}")
            continue
        html = response.content.decode()
        if count > MAX_QUERIES:
            problems.append(f"{address}: {count} queries (at most {MAX_QUERIES})")
        for text in english_in(html, data={str(row)} if row is not None else ()):
            problems.append(f"{address}: English {text!r}")
        for title in filter_titles(html):
            title = "".join(title)
            if ENGLISH_WORD.search(title):
                problems.append(f"{address}: filter title 以 {title!r}")
        for placeholder in placeholders_in(html):
            problems.append(f"{address}: placeholder {placeholder!r}")
    assert not problems, "\n".join(dict.fromkeys(problems))


def _request(client):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User.objects.filter(is_superuser=True).first()
    return request


def test_field_labels_have_chinese_names(seeded):
    """Every concrete field of every model in the back office has a Chinese label: the
    change forms and list headings take them from the model."""
    problems = []
    with translation.override("zh-hans"):
        for model in our_models():
            for field in model._meta.get_fields():
                if field.auto_created or not field.concrete:
                    continue
                label = str(field.verbose_name)
                if [w for w in ENGLISH_WORD.findall(label) if w not in ALLOWED_WORDS]:
                    problems.append(f"{model._meta.label}.{field.name}: {label!r}")
                for value, text in field.flatchoices or ():
                    if [w for w in ENGLISH_WORD.findall(str(text)) if w not in ALLOWED_WORDS]:
                        problems.append(
                            f"{model._meta.label}.{field.name} choice {value!r}: {text!r}"
                        )
    assert not problems, "\n".join(problems)

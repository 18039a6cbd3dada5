"""The Chinese catalogue is complete and the committed .mo matches the .po."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from mall import settings as project_settings

LOCALE = Path(settings.BASE_DIR) / "mall" / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(LOCALE / "django.po"))


def test_every_message_is_translated_and_none_is_fuzzy(po):
    assert po.untranslated_entries() == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


def test_translations_keep_their_placeholders(po):
    for entry in po.translated_entries():
        if entry.msgid_plural:
            # Chinese has one plural form, translated from the plural source.
            for translation_ in entry.msgstr_plural.values():
                assert sorted(PLACEHOLDER.findall(entry.msgid_plural)) == sorted(
                    PLACEHOLDER.findall(translation_)
                ), entry.msgid_plural
        else:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
                PLACEHOLDER.findall(entry.msgstr)
            ), entry.msgid


def test_compiled_catalogue_matches_the_source(po):
    mo = polib.mofile(str(LOCALE / "django.mo"))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        if entry.msgid_plural:
            continue
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
            f"django.mo is stale for {entry.msgid!r}: run manage.py compilemessages"
        )


def test_chinese_is_the_default_and_english_is_offered():
    # The test run pins "en" (tests/conftest.py); the project's own setting is Chinese.
    assert project_settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    with translation.override("zh-hans"):
        assert translation.gettext("Log in") == "登录"


@pytest.mark.django_db
def test_pages_follow_the_chosen_language():
    client = Client()
    chinese = client.get("/", headers={"accept-language": "zh-CN"})
    assert "搜索商品" in chinese.text
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/")
    assert 'lang="en"' in english.text
    assert "Search goods" in english.text

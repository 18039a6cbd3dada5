"""Chinese word segmentation for search: jieba, the shop's dictionary, pinyin.

Titles and queries are cut into words the same way, so "降噪耳机" (two words) finds
"经典降噪蓝牙耳机" (four) without any substring scan. Documents are cut in jieba's search
mode (a long word and the words inside it: 头戴式 and 头戴), queries in its precise mode,
so a query word matches a whole word of the document or a word inside one. Latin words
and numbers are lower-cased; punctuation is dropped.

The segmenter loads its dictionary once per process (about a second; jieba keeps a cache
of it in the temp folder). The shop's words come from ``dictionary.txt`` beside this
module, and the operators' synonyms are added as words, so that 手机壳 stays one word.
"""

import logging
import re
import threading
from pathlib import Path

import jieba
from pypinyin import Style, lazy_pinyin

DICTIONARY = Path(__file__).with_name("dictionary.txt")
# A word is a run of CJK ideographs, or of Latin letters and digits (with . - + inside,
# as in "5.0", "wi-fi", "c++").
_WORD = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[0-9a-z][0-9a-z.+\-]*[0-9a-z+]|[0-9a-z]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_extra_words: frozenset[str] = frozenset()


def _load() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                tokenizer.load_userdict(_dictionary_lines())
                for word in _extra_words:
                    tokenizer.add_word(word, freq=1000)
                _tokenizer = tokenizer
    return _tokenizer


def _dictionary_lines() -> list[str]:
    lines = DICTIONARY.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def add_words(words) -> None:
    """Teach the segmenter ``words`` (operators' synonyms): each stays one word."""
    global _extra_words
    new = {w.strip().lower() for w in words if w and w.strip()} - _extra_words
    if not new:
        return
    _extra_words = _extra_words | new
    if _tokenizer is not None:
        with _lock:
            for word in new:
                _tokenizer.add_word(word, freq=1000)


def _tokens(text: str, *, for_search: bool) -> list[str]:
    tokenizer = _load()
    text = (text or "").lower()
    cut = tokenizer.cut_for_search if for_search else tokenizer.cut
    words = []
    for piece in cut(text):
        # jieba passes Latin runs and punctuation through whole: keep the word characters.
        words.extend(_WORD.findall(piece))
    return words


def document_words(text: str) -> list[str]:
    """The words of a title or description, for the index (search mode: long words and
    the words inside them), in order."""
    return _tokens(text, for_search=True)


def query_words(text: str) -> list[str]:
    """The words of what a shopper typed (precise mode), in order, without repeats."""
    seen, words = set(), []
    for word in _tokens(text, for_search=False):
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def segmented(text: str) -> str:
    """``text`` as space-separated index words: what PostgreSQL's ``simple`` parser
    turns into one lexeme per word."""
    return " ".join(document_words(text))


def has_chinese(word: str) -> bool:
    return bool(_CJK.search(word))


def pinyin(word: str) -> str:
    """Full pinyin without tones, run together: 耳机 -> "erji". Empty for Latin words."""
    if not has_chinese(word):
        return ""
    return "".join(lazy_pinyin(word, errors="ignore"))


def initials(word: str) -> str:
    """The pinyin initials: 耳机 -> "ej"."""
    if not has_chinese(word):
        return ""
    return "".join(lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore"))

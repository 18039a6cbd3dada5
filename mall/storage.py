"""The media store: uploads on the local file system, never left behind by a failure.

Two failures used to leave files nobody owns. A write the disk refused (full, read-only)
left the truncated file in place, in a public folder; and files written inside a
transaction stayed after the transaction rolled back (a later photo of the same upload
failed, or the database went away), pointing nowhere. Here:

- ``MediaStorage`` removes what it wrote of a file it could not finish and raises
  ``MediaUnavailable``, which services turn into their own refusal with its message,
  so the shopper's form comes back with their text and a clear word;
- during a request (``RolledBackFilesMiddleware``), every file written inside a
  transaction is remembered with an on-commit callback; a file whose callback was
  discarded by a rollback is removed when the request ends. A transaction still open at
  the end (a test's) keeps its files.
"""

import contextvars
import logging
import os

from django.core.files.storage import FileSystemStorage
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)


class MediaUnavailable(Exception):
    """The media store could not take a file: nothing of it was kept."""

    message = _(
        "Your files could not be stored just now, so nothing was saved. Please try again "
        "in a few minutes."
    )

    def __str__(self):
        return str(self.message)


class _WrittenFile:
    def __init__(self, storage, name):
        self.storage = storage
        self.name = name
        self.committed = False
        # One bound method, kept: the on-commit list is searched for this very object.
        self.on_commit = self._commit

    def _commit(self):
        self.committed = True


_written: contextvars.ContextVar[list[_WrittenFile] | None] = contextvars.ContextVar(
    "mall_media_written", default=None
)


class MediaStorage(FileSystemStorage):
    def _save(self, name, content):
        full_path = self.path(name)
        existed = os.path.lexists(full_path)
        try:
            name = super()._save(name, content)
        except OSError as error:
            if not existed:
                _remove(full_path)
            logger.error("media store refused %s: %r", name, error)
            raise MediaUnavailable(name) from error
        written = _written.get()
        if written is not None and connection.in_atomic_block:
            entry = _WrittenFile(self, name)
            written.append(entry)
            transaction.on_commit(entry.on_commit)
        return name


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError:
        logger.exception("could not remove %s", path)


def remove_rolled_back(written: list[_WrittenFile]) -> int:
    """Remove the files whose transaction rolled back; returns how many."""
    pending = [func for _, func, _ in connection.run_on_commit]
    removed = 0
    for entry in written:
        if entry.committed or any(func is entry.on_commit for func in pending):
            continue
        try:
            entry.storage.delete(entry.name)
        except OSError:
            logger.exception("could not remove %s after a rollback", entry.name)
        else:
            removed += 1
    return removed


class RolledBackFilesMiddleware:
    """Remove, at the end of each request, the files written inside a transaction that
    rolled back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        written: list[_WrittenFile] = []
        token = _written.set(written)
        try:
            return self.get_response(request)
        finally:
            _written.reset(token)
            if written:
                removed = remove_rolled_back(written)
                if removed:
                    logger.warning("removed %s file(s) of a rolled-back transaction", removed)

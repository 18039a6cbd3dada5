"""Uploaded files: images are re-encoded (EXIF and anything appended dropped) and
thumbnailed once at upload; documents and videos are checked by content, not by name."""

import io
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from ..exceptions import InvalidUpload

# The sizes the pages use: list cards and the product gallery's main picture.
THUMB_SMALL = (320, 320)
THUMB_MEDIUM = (800, 800)
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before Pillow's own limit
ACCEPTED_IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}

T = TypeVar("T")


def _read(upload, limit: int) -> bytes:
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidUpload(
            _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}
        )
    return data


def _open_image(data: bytes) -> Image.Image:
    try:
        probe = Image.open(io.BytesIO(data))
        probe.verify()  # structural check; the image must be reopened after verify()
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:
        # A small file whose header declares a huge canvas (Pillow refuses it on open,
        # before decoding): a refusal like any other oversized picture, never a 500.
        raise InvalidUpload(_("The image has too many pixels.")) from error
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise InvalidUpload(_("The file is not an image we can read.")) from error
    if image.format not in ACCEPTED_IMAGE_FORMATS:
        raise InvalidUpload(_("Images must be JPEG, PNG, WebP or GIF."))
    if image.width * image.height > MAX_PIXELS:
        raise InvalidUpload(_("The image has too many pixels."))
    return image


def _upright_rgb(image: Image.Image) -> Image.Image:
    """The decoded pixels turned as the camera meant, transparency flattened on white: the
    one preparation every size of a picture shares."""
    image = ImageOps.exif_transpose(image)  # keep the orientation the camera meant
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    return image


def _encode_jpeg(image: Image.Image, size: tuple[int, int] | None = None) -> bytes:
    """``image`` (from ``_upright_rgb``) as JPEG, shrunk to fit ``size`` if given."""
    if size:
        image = image.copy()
        image.thumbnail(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A fresh encode writes pixels only: no EXIF, no GPS, no trailing payload.
    image.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue()


def process_product_image(upload) -> dict[str, ContentFile]:
    """Return the re-encoded image and its thumbnails as files named by a random id.

    Raises ``InvalidUpload`` for anything that is not a readable image of an accepted
    format within the size limits, and for a picture smaller than
    ``MALL_MIN_PRODUCT_IMAGE_SIDE`` pixels on its shorter side (the gallery shows it at
    up to 800 px and zooms: a small picture would be blurred), saying both sizes.
    """
    image = _upright_rgb(_open_image(_read(upload, settings.MALL_MAX_IMAGE_BYTES)))
    least = settings.MALL_MIN_PRODUCT_IMAGE_SIDE
    if min(image.size) < least:
        raise InvalidUpload(
            _(
                "The picture is %(width)s × %(height)s pixels; product pictures must be at "
                "least %(least)s pixels on each side so that they stay sharp when enlarged."
            )
            % {"width": image.width, "height": image.height, "least": least}
        )
    stem = uuid.uuid4().hex
    return {
        "image": ContentFile(_encode_jpeg(image), name=f"{stem}.jpg"),
        "thumb_small": ContentFile(_encode_jpeg(image, THUMB_SMALL), name=f"{stem}_s.jpg"),
        "thumb_medium": ContentFile(_encode_jpeg(image, THUMB_MEDIUM), name=f"{stem}_m.jpg"),
    }


def process_photo(upload, *, max_side: int = 2000) -> ContentFile:
    """A photo kept as evidence (after-sales, complaints): re-encoded as JPEG (EXIF, GPS
    and anything appended dropped), at most ``max_side`` pixels on its long side, named
    by a random id. Raises ``InvalidUpload`` like ``process_product_image``."""
    (photo,) = process_photo_sizes(upload, max_sides=(max_side,))
    return photo


def process_photo_sizes(upload, *, max_sides: Sequence[int]) -> tuple[ContentFile, ...]:
    """The photo re-encoded like ``process_photo`` once per entry of ``max_sides`` (e.g.
    the full view and its thumbnail), in that order, each named by its own random id.
    The upload is read and decoded once for all of them. Raises ``InvalidUpload``."""
    image = _upright_rgb(_open_image(_read(upload, settings.MALL_MAX_IMAGE_BYTES)))
    return tuple(
        ContentFile(_encode_jpeg(image, (side, side)), name=f"{uuid.uuid4().hex}.jpg")
        for side in max_sides
    )


def process_photos(
    uploads: Iterable,
    *,
    limit: int,
    process: Callable[[Any], T] = process_photo,
    too_many: str | None = None,
) -> tuple[list[T], list[str]]:
    """The files of one form field, each passed through ``process`` (by default
    ``process_photo``); empty entries (no file chosen) are left out. Returns what
    ``process`` made of each, in order, and every problem found: more than ``limit``
    files (``too_many``, by default "Add at most <limit> photos."; only the first
    ``limit`` are processed) and each ``InvalidUpload`` prefixed by the file's name.
    The caller decides what a problem means; nothing is raised for them."""
    uploads = [upload for upload in uploads or () if upload]
    processed, problems = [], []
    if len(uploads) > limit:
        problems.append(too_many or _("Add at most %(count)s photos.") % {"count": limit})
    for upload in uploads[:limit]:
        try:
            processed.append(process(upload))
        except InvalidUpload as error:
            name = os.path.basename(getattr(upload, "name", "") or "")
            problems.append(f"{name}: {error}" if name else str(error))
    return processed, problems


def process_document_scan(upload) -> ContentFile:
    """A qualification scan: a PDF (kept as is, after a header check) or an image
    (re-encoded). Raises ``InvalidUpload``."""
    data = _read(upload, settings.MALL_MAX_DOCUMENT_BYTES)
    stem = uuid.uuid4().hex
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise InvalidUpload(_("The PDF is incomplete."))
        return ContentFile(data, name=f"{stem}.pdf")
    image = _upright_rgb(_open_image(data))
    return ContentFile(_encode_jpeg(image), name=f"{stem}.jpg")


def check_video(upload) -> ContentFile:
    """An MP4 video (ISO base media: 'ftyp' box at offset 4). Raises ``InvalidUpload``."""
    data = _read(upload, settings.MALL_MAX_VIDEO_BYTES)
    if data[4:8] != b"ftyp":
        raise InvalidUpload(_("Videos must be MP4 files."))
    return ContentFile(data, name=f"{uuid.uuid4().hex}.mp4")


def extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()

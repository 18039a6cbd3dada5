"""Fault drill: the media store cannot take an upload (the disk is full, or read-only).

The store is a real tmpfs mounted for the test: small enough that a review's first photo
fits and the second does not, or remounted read-only. The shopper gets their form back
with their text and a clear message; no review row, no photo row and no file are left,
not even the first photo, written before the failure, nor the truncated second."""

import io
import os
import random
import subprocess
import tempfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import ProductReview, ReviewPhoto
from catalog.services import media
from catalog.services.product_reviews import PHOTO_SIDE, THUMB_SIDE
from tests.customers.factories import UserFactory
from tests.orders.aftersales_helpers import delivered_order
from tests.orders.factories import listed_sku

pytestmark = [pytest.mark.faults, pytest.mark.django_db]


def noisy_jpeg(seed: int) -> SimpleUploadedFile:
    """A photo that compresses badly, so that its size is predictable and large."""
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (600, 600), rng.randbytes(600 * 600 * 3))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95)
    return SimpleUploadedFile(f"p{seed}.jpg", buffer.getvalue(), content_type="image/jpeg")


def stored_size(upload) -> int:
    upload.seek(0)
    made = media.process_photo_sizes(upload, max_sides=(PHOTO_SIDE, THUMB_SIDE))
    upload.seek(0)
    return sum(content.size for content in made)


@pytest.fixture
def media_mount(settings):
    """Mount a tmpfs as MEDIA_ROOT; yields a function that sizes or freezes it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (bin/test runs as root in CI)")
    root = Path(tempfile.mkdtemp(prefix="media-fault-"))
    mounted = False

    def mount(*, size: int, read_only: bool = False) -> Path:
        nonlocal mounted
        options = f"size={size}" + (",ro" if read_only else "")
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(root)], check=True)
        mounted = True
        settings.MEDIA_ROOT = str(root)
        return root

    yield mount
    if mounted:
        subprocess.run(["umount", str(root)], check=True)
    root.rmdir()


def files_under(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.parametrize("fault", ["disk full", "read-only"])
def test_a_review_whose_photos_cannot_be_stored_leaves_nothing_and_keeps_the_text(
    client, media_mount, fault
):
    tea = listed_sku(price="45.00", stock=5)
    shopper = UserFactory()
    order = delivered_order(items=[(tea, 1)], user=shopper)
    client.force_login(shopper)
    photos = [noisy_jpeg(1), noisy_jpeg(2)]
    first = stored_size(photos[0])
    # Room for the first photo and its thumbnail, and half of the second.
    size = (first + stored_size(photos[1]) // 2 + 4095) // 4096 * 4096 + 8192
    root = media_mount(size=size, read_only=fault == "read-only")

    response = client.post(
        reverse("orders:review_line", args=[order.number, order.lines.get().pk]),
        {"rating": 4, "text": "茶香浓郁，回甘明显。", "photos": photos},
    )

    assert response.status_code == 200
    assert "Your files could not be stored just now, so nothing was saved." in response.text
    assert "茶香浓郁，回甘明显。" in response.text  # the form comes back with the text
    assert not ProductReview.objects.exists()
    assert not ReviewPhoto.objects.exists()
    assert files_under(root) == []

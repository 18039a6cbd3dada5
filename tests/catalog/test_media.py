"""Uploads are judged by their content: images re-encoded clean, documents and videos
checked by their bytes, never by the file name."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from catalog.exceptions import InvalidUpload
from catalog.services import media
from catalog.services.media import (
    THUMB_MEDIUM,
    THUMB_SMALL,
    check_video,
    process_document_scan,
    process_photo,
    process_photo_sizes,
    process_photos,
    process_product_image,
)

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
GPS_IFD = 0x8825


def image_bytes(fmt="JPEG", size=(1200, 900), exif=None, color=(200, 40, 40)):
    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).ellipse((10, 10, size[0] // 2, size[1] // 2), fill="white")
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"exif": exif} if exif is not None else {}))
    return buffer.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x0131] = "Camera 1.0"  # Software
    exif[0x0132] = "2026:03:01 10:00:00"  # DateTime
    exif[GPS_IFD] = {
        1: "N",  # GPSLatitudeRef
        2: (30.0, 15.0, 10.5),  # GPSLatitude: where the shop's supplier lives
        3: "E",
        4: (120.0, 9.0, 30.2),
    }
    return exif


def opened(content) -> Image.Image:
    content.seek(0)
    return Image.open(io.BytesIO(content.read()))


# --- Product images --------------------------------------------------------------------------


def test_the_source_really_carries_exif_and_gps():
    source = Image.open(io.BytesIO(image_bytes(exif=camera_exif())))
    assert source.getexif()[0x010F] == "PhoneMaker"
    assert source.getexif().get_ifd(GPS_IFD)[1] == "N"


def test_exif_and_gps_are_stripped_from_the_image_and_its_thumbnails():
    files = process_product_image(upload(image_bytes(exif=camera_exif())))

    assert set(files) == {"image", "thumb_small", "thumb_medium"}
    for content in files.values():
        content.seek(0)
        raw = content.read()
        assert b"Exif" not in raw
        assert b"PhoneMaker" not in raw
        image = opened(content)
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert "exif" not in image.info


def test_bytes_appended_after_the_image_are_dropped():
    payload = io.BytesIO()
    with zipfile.ZipFile(payload, "w") as archive:
        archive.writestr("payload.txt", "SECRET-PAYLOAD " * 50)
    smuggled = image_bytes() + payload.getvalue()
    assert b"PK\x03\x04" in smuggled

    files = process_product_image(upload(smuggled))

    for content in files.values():
        content.seek(0)
        raw = content.read()
        assert b"PK\x03\x04" not in raw
        assert b"payload.txt" not in raw
        assert raw.endswith(b"\xff\xd9")  # the JPEG ends where its pixels end


def test_thumbnails_fit_their_bounds_and_keep_the_aspect_ratio():
    files = process_product_image(upload(image_bytes(size=(1600, 1000))))

    assert opened(files["image"]).size == (1600, 1000)
    small = opened(files["thumb_small"]).size
    medium = opened(files["thumb_medium"]).size
    assert small == (320, 200)
    assert medium == (800, 500)
    assert small[0] <= THUMB_SMALL[0] and small[1] <= THUMB_SMALL[1]
    assert medium[0] <= THUMB_MEDIUM[0] and medium[1] <= THUMB_MEDIUM[1]


def test_a_small_image_is_never_blown_up_and_png_becomes_jpeg():
    files = process_product_image(upload(image_bytes("PNG", size=(700, 600)), name="a.png"))

    assert max(opened(files["thumb_small"]).size) == 320
    assert opened(files["thumb_medium"]).size == (700, 600)  # below 800: kept as it is
    assert all(content.name.endswith(".jpg") for content in files.values())


def test_a_picture_below_the_minimum_resolution_is_refused_with_both_sizes(settings):
    settings.MALL_MIN_PRODUCT_IMAGE_SIDE = 600
    with pytest.raises(InvalidUpload) as refused:
        process_product_image(upload(image_bytes(size=(1200, 599))))
    assert str(refused.value) == (
        "The picture is 1200 × 599 pixels; product pictures must be at least 600 pixels on "
        "each side so that they stay sharp when enlarged."
    )
    assert process_product_image(upload(image_bytes(size=(600, 600))))["image"]


def test_file_names_come_from_the_shop_not_the_upload():
    files = process_product_image(upload(image_bytes(), name="../../etc/passwd.jpg"))

    for content in files.values():
        assert "/" not in content.name
        assert "passwd" not in content.name


def test_a_text_file_named_jpg_is_refused():
    with pytest.raises(InvalidUpload, match="not an image"):
        process_product_image(upload(b"just some text, honestly a photo\n" * 20))


def test_a_truncated_jpeg_is_refused():
    with pytest.raises(InvalidUpload):
        process_product_image(upload(image_bytes()[:200]))


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.MALL_MAX_IMAGE_BYTES = 1024 * 1024
    data = image_bytes()
    big = data + b"\0" * (settings.MALL_MAX_IMAGE_BYTES + 1 - len(data))

    with pytest.raises(InvalidUpload, match="larger than 1 MB"):
        process_product_image(upload(big))

    process_product_image(upload(data))  # within the limit it is fine


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_images_of_formats_we_do_not_accept_are_refused(fmt):
    with pytest.raises(InvalidUpload, match="JPEG, PNG, WebP or GIF"):
        process_product_image(upload(image_bytes(fmt, size=(100, 80)), name="photo.jpg"))


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_the_other_accepted_formats_are_re_encoded_as_jpeg(fmt):
    files = process_product_image(upload(image_bytes(fmt, size=(600, 600))))

    assert opened(files["image"]).format == "JPEG"


def test_transparency_is_flattened_on_white():
    image = Image.new("RGBA", (600, 600), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")

    files = process_product_image(upload(buffer.getvalue(), name="logo.png"))

    red, green, blue = opened(files["image"]).convert("RGB").getpixel((25, 25))
    assert min(red, green, blue) > 240


# --- Photos kept as evidence or shown with a review ---------------------------------------------


def test_a_photo_is_re_encoded_without_exif_and_fits_its_longest_side():
    content = process_photo(upload(image_bytes(exif=camera_exif(), size=(2400, 1800))))

    content.seek(0)
    raw = content.read()
    assert b"PhoneMaker" not in raw
    image = opened(content)
    assert image.format == "JPEG" and len(image.getexif()) == 0
    assert image.size == (2000, 1500)
    assert content.name.endswith(".jpg") and "photo" not in content.name


def test_one_decode_gives_every_size_in_order(monkeypatch):
    decoded = []
    open_image = media._open_image
    monkeypatch.setattr(media, "_open_image", lambda data: decoded.append(1) or open_image(data))

    full, thumb = process_photo_sizes(
        upload(image_bytes(exif=camera_exif(), size=(2400, 1800))), max_sides=(1600, 240)
    )

    assert len(decoded) == 1
    assert opened(full).size == (1600, 1200)
    assert opened(thumb).size == (240, 180)
    assert full.name != thumb.name
    for content in (full, thumb):
        content.seek(0)
        assert b"PhoneMaker" not in content.read()
        assert content.name.endswith(".jpg")


def test_a_small_photo_is_not_blown_up():
    (content,) = process_photo_sizes(upload(image_bytes("PNG", size=(200, 150))), max_sides=(1600,))

    assert opened(content).size == (200, 150)
    assert opened(content).format == "JPEG"


def test_photos_of_one_field_are_processed_in_order_and_empty_entries_skipped():
    uploads = [upload(image_bytes(size=(300, 200)), name="a.jpg"), None, upload(image_bytes())]

    processed, problems = process_photos(uploads, limit=6)

    assert problems == []
    assert [opened(content).size for content in processed] == [(300, 200), (1200, 900)]


def test_every_problem_is_listed_with_the_file_name_and_nothing_is_raised():
    uploads = [
        upload(b"not an image at all", name="notes.jpg"),
        upload(image_bytes()),
        upload(image_bytes("BMP", size=(100, 80)), name="old.bmp"),
    ]

    processed, problems = process_photos(uploads, limit=6)

    assert len(processed) == 1
    assert problems == [
        "notes.jpg: The file is not an image we can read.",
        "old.bmp: Images must be JPEG, PNG, WebP or GIF.",
    ]


def test_more_photos_than_the_limit_are_refused_and_only_the_first_are_processed():
    uploads = [upload(image_bytes(size=(40, 30)), name=f"{n}.jpg") for n in range(4)]

    processed, problems = process_photos(uploads, limit=3)

    assert problems == ["Add at most 3 photos."]
    assert len(processed) == 3


def test_the_caller_chooses_what_each_upload_becomes_and_the_limit_message():
    uploads = [upload(PDF, name="bill.pdf"), upload(b"MZ", name="tool.exe")]
    uploads += [upload(image_bytes(size=(40, 30)), name="x.jpg")] * 2

    processed, problems = process_photos(
        uploads,
        limit=3,
        process=lambda file: (process_document_scan(file), file.name),
        too_many="Attach at most 3 files.",
    )

    assert [name for _content, name in processed] == ["bill.pdf", "x.jpg"]
    assert problems[0] == "Attach at most 3 files."
    assert problems[1].startswith("tool.exe: ")
    assert len(problems) == 2


# --- Qualification scans -----------------------------------------------------------------------


def test_a_pdf_scan_is_kept_as_it_is():
    content = process_document_scan(upload(PDF, name="licence.pdf", content_type="application/pdf"))

    content.seek(0)
    assert content.read() == PDF
    assert content.name.endswith(".pdf")


def test_an_incomplete_pdf_is_refused():
    with pytest.raises(InvalidUpload, match="incomplete"):
        process_document_scan(upload(PDF[:-7], name="licence.pdf"))


def test_an_image_scan_is_re_encoded_without_exif():
    content = process_document_scan(upload(image_bytes(exif=camera_exif()), name="licence.jpg"))

    assert content.name.endswith(".jpg")
    image = opened(content)
    assert image.format == "JPEG"
    assert len(image.getexif()) == 0


@pytest.mark.parametrize(
    "data",
    [
        b"PK\x03\x04 a zip archive renamed to .pdf",
        b"<html><script>alert(1)</script></html>",
        b"MZ\x90\x00 an executable",
        b"",
    ],
    ids=["zip", "html", "exe", "empty"],
)
def test_other_content_is_not_a_scan(data):
    with pytest.raises(InvalidUpload):
        process_document_scan(upload(data, name="licence.pdf"))


def test_a_scan_over_the_size_limit_is_refused(settings):
    settings.MALL_MAX_DOCUMENT_BYTES = 1024 * 1024
    big = PDF[:-7] + b"\n" * (2 * 1024 * 1024) + b"%%EOF\n"

    with pytest.raises(InvalidUpload, match="larger than"):
        process_document_scan(upload(big, name="licence.pdf"))


# --- Videos ----------------------------------------------------------------------------------


def test_an_mp4_is_recognised_by_its_ftyp_box():
    data = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\0" * 64

    content = check_video(upload(data, name="clip.mp4", content_type="video/mp4"))

    assert content.name.endswith(".mp4")
    content.seek(0)
    assert content.read() == data


@pytest.mark.parametrize(
    "data",
    [b"ftyp at the wrong place....", b"\x1aE\xdf\xa3 webm", b"RIFF....AVI ", b"", b"abc"],
    ids=["ftyp-offset-0", "webm", "avi", "empty", "short"],
)
def test_anything_else_is_not_a_video(data):
    with pytest.raises(InvalidUpload, match="MP4"):
        check_video(upload(data, name="clip.mp4", content_type="video/mp4"))


def test_a_video_over_the_size_limit_is_refused(settings):
    settings.MALL_MAX_VIDEO_BYTES = 1024 * 1024
    data = b"\x00\x00\x00\x20ftypisom" + b"\0" * (2 * 1024 * 1024)

    with pytest.raises(InvalidUpload, match="larger than"):
        check_video(upload(data, name="clip.mp4"))


def bomb_png(width=20_000, height=20_000) -> bytes:
    """A small PNG whose header declares ``width`` x ``height`` 1-bit pixels: Pillow
    refuses to open it (DecompressionBombError) before decoding a single row."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    pixels = zlib.compress(row * 64, 9)  # a few rows are enough: Pillow stops at the header
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "process",
    [process_photo, process_product_image, process_document_scan],
    ids=["photo", "product image", "document scan"],
)
def test_a_decompression_bomb_is_refused_as_an_invalid_upload(process):
    with pytest.raises(InvalidUpload, match="too many pixels"):
        process(upload(bomb_png(), name="bomb.png", content_type="image/png"))

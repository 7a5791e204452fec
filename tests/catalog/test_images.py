"""Product pictures through the catalog service: checked by content, size-capped, re-encoded
without EXIF (no GPS position of the shop owner's house), reordered and deleted."""

from __future__ import annotations

import functools
import io

import pytest
from PIL import Image
from sqlalchemy import select

from app.audit.models import AuditEntry
from app.catalog import images, pictures
from app.catalog.images import ImageTooLarge, NotAnImage, TooManyPixels
from app.catalog.models import ProductImage
from app.errors import Forbidden
from app.storage import storage
from tests.catalog.factories import make_product
from tests.factories import make_staff
from tests.pictures import peak_memory_of_processing, png_claiming, png_with_text

GPS_IFD = 0x8825


def png(size=(64, 48), colour="red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A phone photo: camera make and a GPS position (Colombo) in its EXIF."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[GPS_IFD] = {1: "N", 2: (6.0, 55.0, 12.0), 3: "E", 4: (79.0, 51.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (800, 600), "green").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


@functools.cache
def twenty_megabyte_png() -> bytes:
    """A real picture over the 10 MB cap: noise does not compress."""
    import os

    side = 2600  # 2600² × 3 bytes ≈ 20 MB
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=0)
    return out.getvalue()


def test_a_text_file_named_like_a_picture_is_refused(db_session):
    product = make_product("Tea")

    with pytest.raises(NotAnImage) as caught:
        pictures.add_image(product.id, b"Just some notes, saved as photo.jpg\n" * 20)

    assert str(caught.value.message) == ("That file is not a picture we can use. Upload a "
                                         "JPEG, PNG or WebP.")
    assert db_session.scalars(select(ProductImage)).all() == []


def test_a_20_mb_picture_is_refused(db_session):
    product = make_product("Tea")
    data = twenty_megabyte_png()
    assert len(data) > 20_000_000

    with pytest.raises(ImageTooLarge) as caught:
        pictures.add_image(product.id, data)

    assert str(caught.value.message) == "That picture is too large. Upload one under 10 MB."


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_small_file_with_huge_dimensions_is_refused(db_session):
    product = make_product("Tea")
    out = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(out, "PNG")  # 100 megapixels in a few kB

    with pytest.raises(ImageTooLarge):
        pictures.add_image(product.id, out.getvalue())


def test_gps_and_camera_details_are_gone_from_the_stored_picture(db_session):
    product = make_product("Tea")
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the input has GPS

    image = pictures.add_image(product.id, original, alt="A cup of tea")

    store = storage()
    for key in (image.key, images.thumb_key(image.key)):
        stored = store.read(key)
        with Image.open(io.BytesIO(stored)) as picture:
            assert picture.format == "WEBP"
            assert "exif" not in picture.info
            assert not picture.getexif()
        assert b"Exif" not in stored and b"PhoneMaker" not in stored
    assert (image.width, image.height, image.alt_en) == (800, 600, "A cup of tea")


def test_pictures_are_reordered_and_deleted_with_their_files(db_session):
    product = make_product("Tea")
    first, second, third = (pictures.add_image(product.id, png(colour=c))
                            for c in ("red", "green", "blue"))

    pictures.move_image(third.id, -1)
    pictures.move_image(first.id, +1)
    db_session.expire_all()
    order = [i.id for i in sorted(product.images, key=lambda i: i.position)]
    pictures.delete_image(second.id)

    assert order == [third.id, first.id, second.id]
    db_session.expire_all()
    assert [(i.id, i.position) for i in product.images] == [(third.id, 0), (first.id, 1)]
    store = storage()
    assert not store.exists(second.key) and not store.exists(images.thumb_key(second.key))
    assert store.exists(first.key)
    actions = list(db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.action.startswith("catalog.image")).order_by(AuditEntry.id)))
    assert actions == ["catalog.image_add"] * 3 + ["catalog.image_move"] * 2 + [
        "catalog.image_delete"]


def test_a_support_agent_cannot_upload(db_session):
    product = make_product("Tea")

    with pytest.raises(Forbidden):
        pictures.add_image(product.id, png(), actor=make_staff("support_agent"))


# ---- pixels are counted from the header, before anything is decoded ----------------------------

def test_a_5_kb_png_claiming_30000_by_30000_pixels_is_refused_with_little_memory(tmp_path):
    bomb = png_claiming(30_000, 30_000)  # 2.7 GB of RGB once decoded
    assert len(bomb) < 8_000

    outcome, extra_kb, _ms = peak_memory_of_processing(bomb, tmp_path)

    assert outcome == "too_many_pixels"
    assert extra_kb < 50 * 1024  # under 50 MB; measured about 0.4 MB


def test_a_png_with_200_mb_of_compressed_text_is_refused_with_little_memory(tmp_path):
    bomb = png_with_text(200)  # 200 kB

    outcome, extra_kb, _ms = peak_memory_of_processing(bomb, tmp_path)

    assert outcome == "not_an_image"
    assert extra_kb < 10 * 1024  # measured about 1 MB; Pillow alone allows 64 MB


@pytest.mark.parametrize("width, height", [(30_000, 30_000), (4_000, 3_200), (100_000, 200)])
def test_a_png_over_the_pixel_limit_says_so_not_that_the_file_is_large(db_session, width,
                                                                        height):
    product = make_product("Tea")

    with pytest.raises(TooManyPixels) as caught:
        pictures.add_image(product.id, png_claiming(width, height))

    assert str(caught.value.message) == (
        "That picture has too many pixels for us to open (more than 12 megapixels). Upload "
        "a smaller photo or a screenshot.")
    assert db_session.scalars(select(ProductImage)).all() == []


def test_a_large_camera_jpeg_is_decoded_small_and_kept(db_session, tmp_path):
    """A JPEG may have more pixels than a PNG: it is decoded at a reduced scale."""
    out = io.BytesIO()
    Image.new("RGB", (6_000, 4_000), "teal").save(out, "JPEG", quality=60)  # 24 MP, a DSLR

    outcome, extra_kb, _ms = peak_memory_of_processing(out.getvalue(), tmp_path)
    image = pictures.add_image(make_product("Tea").id, out.getvalue())

    assert outcome == "accepted" and extra_kb < 60 * 1024  # whole, it would be 96 MB
    assert (image.width, image.height) == (1600, 1067)


def test_a_phone_photo_taken_sideways_is_stored_upright(db_session):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    out = io.BytesIO()
    Image.new("RGB", (2_000, 1_000), "green").save(out, "JPEG", exif=exif.tobytes())

    image = pictures.add_image(make_product("Tea").id, out.getvalue())

    stored = Image.open(io.BytesIO(storage().read(image.key)))
    assert stored.size == (image.width, image.height) == (800, 1600)

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
from app.catalog.images import ImageTooLarge, NotAnImage
from app.catalog.models import ProductImage
from app.errors import Forbidden
from app.storage import storage
from tests.catalog.factories import make_product
from tests.factories import make_staff

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

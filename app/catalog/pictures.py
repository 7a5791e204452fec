"""Writing a product's pictures: adding one (checked and re-encoded by app/catalog/images.py,
stored by app/storage), moving one earlier or later, deleting one and its files. Each call checks
the actor's role and writes an audit entry; `actor` None is the system itself.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app import db
from app.accounts.services import User  # the type of `actor`
from app.audit import services as audit
from app.catalog import images
from app.catalog.editing import _actor_id, _get, _load_product, _require
from app.catalog.inputs import LIMITS, _text
from app.catalog.models import ProductImage
from app.db import transaction, utcnow
from app.errors import NotFound
from app.storage import storage

log = logging.getLogger(__name__)


# ---- images ------------------------------------------------------------------------------------

def add_image(product_id: int, data: bytes, *, alt: str | None = None,
              actor: User | None = None) -> ProductImage:
    """Check, re-encode and store a picture. Raises NotAnImage, ImageTooLarge, Invalid (alt
    text), NotFound, Forbidden."""
    _require(actor)
    _text(alt, "alt", LIMITS["alt"])
    processed = images.process(data)
    with transaction():
        product = _load_product(product_id)
        key, thumb = images.new_keys(product_id)
        store = storage()
        store.save(key, processed.full, "image/webp")
        store.save(thumb, processed.thumb, "image/webp")
        image = ProductImage(key=key, width=processed.width, height=processed.height,
                             position=len(_images_of(product_id)), alt_en=alt or None)
        product.images.append(image)
        product.updated_at = utcnow()  # its page and card change: their ETags must too
        db.session.flush()
        audit.record("catalog.image_add", actor_id=_actor_id(actor),
                     target_type="product", target_id=product_id, image_id=image.id)
    return image


def _images_of(product_id: int) -> list[ProductImage]:
    """From the database, not a relationship loaded earlier in this session."""
    return list(db.session.scalars(select(ProductImage).where(
        ProductImage.product_id == product_id).order_by(ProductImage.position,
                                                        ProductImage.id)))


def _load_image(image_id: int) -> ProductImage:
    image = _get(ProductImage, image_id)
    if image is None:
        raise NotFound()
    return image


def move_image(image_id: int, offset: int, *, actor: User | None = None) -> ProductImage:
    """Move a picture one place earlier (-1) or later (+1); the first is the main one."""
    _require(actor)
    with transaction():
        image = _load_image(image_id)
        ordered = _images_of(image.product_id)
        at = ordered.index(image)
        to = min(max(at + (1 if offset > 0 else -1), 0), len(ordered) - 1)
        ordered.insert(to, ordered.pop(at))
        for position, each in enumerate(ordered):
            each.position = position
        _load_product(image.product_id).updated_at = utcnow()
        audit.record("catalog.image_move", actor_id=_actor_id(actor), target_type="product",
                     target_id=image.product_id, image_id=image.id, position=to)
    return image


def delete_image(image_id: int, *, actor: User | None = None) -> int:
    """Remove a picture and its files; returns its product's id."""
    _require(actor)
    with transaction():
        image = _load_image(image_id)
        product_id = image.product_id
        keys = (image.key, images.thumb_key(image.key))
        others = [i for i in _images_of(product_id) if i.id != image.id]
        db.session.delete(image)
        for position, each in enumerate(others):
            each.position = position
        _load_product(product_id).updated_at = utcnow()
        audit.record("catalog.image_delete", actor_id=_actor_id(actor), target_type="product",
                     target_id=product_id, image_id=image_id)
    # Files go after the commit: a failed commit must not leave a row without its picture.
    store = storage()
    for key in keys:
        try:
            store.delete(key)
        except Exception:
            log.exception("image_file_delete_failed", extra={"image_id": image_id})
    return product_id


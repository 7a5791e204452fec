"""Media storage: a local folder by default, an S3 bucket with MEDIA_URL=s3://… — here moto's
S3 server on 127.0.0.1, spoken to over HTTP by the real boto3 client."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.catalog import editing, images, inputs, pictures
from app.storage import LocalStorage, S3Storage, storage
from tests.s3 import moto_s3

BUCKET = "kade-media"


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3(BUCKET) as endpoint:
        yield endpoint


def _objects(endpoint: str) -> list[str]:
    import boto3

    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket=BUCKET)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def test_local_storage_saves_reads_and_deletes(tmp_path):
    store = LocalStorage(str(tmp_path))

    store.save("products/1/a.webp", b"picture")
    saved = (store.exists("products/1/a.webp"), store.read("products/1/a.webp"))
    store.delete("products/1/a.webp")
    store.delete("products/1/a.webp")  # twice is fine

    assert saved == (True, b"picture")
    assert not store.exists("products/1/a.webp")
    with pytest.raises(FileNotFoundError):
        store.read("products/1/a.webp")
    with pytest.raises(ValueError):
        store.save("../outside.txt", b"no")


def test_s3_storage_saves_reads_checks_and_deletes(s3_endpoint):
    store = S3Storage(f"s3://{BUCKET}/media", s3_endpoint)

    store.save("products/1/a.webp", b"picture", "image/webp")
    saved = (store.exists("products/1/a.webp"), store.read("products/1/a.webp"))
    listed = _objects(s3_endpoint)
    store.delete("products/1/a.webp")

    assert saved == (True, b"picture")
    assert "media/products/1/a.webp" in listed
    assert not store.exists("products/1/a.webp")
    with pytest.raises(FileNotFoundError):
        store.read("products/1/a.webp")


def test_an_uploaded_picture_lands_in_the_bucket_and_is_served(make_app, s3_endpoint):
    s3_app = make_app(MEDIA_URL=f"s3://{BUCKET}/shop", AWS_ENDPOINT_URL=s3_endpoint)
    out = io.BytesIO()
    Image.new("RGB", (300, 200), "orange").save(out, "JPEG")

    with s3_app.app_context():
        assert isinstance(storage(), S3Storage)
        product = editing.create_product(inputs.ProductInput(
            name_en="Orange", variants=[inputs.VariantInput(sku="OR-1", price_cents=100)]))
        image = pictures.add_image(product.id, out.getvalue())
        thumb = images.thumb_key(image.key)
    served = s3_app.test_client().get(f"/media/{thumb}")

    assert {f"shop/{image.key}", f"shop/{thumb}"} <= set(_objects(s3_endpoint))
    assert served.status_code == 200 and served.mimetype == "image/webp"
    assert Image.open(io.BytesIO(served.data)).size == (300, 200)

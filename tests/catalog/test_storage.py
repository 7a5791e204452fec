"""Media storage: a local folder by default, an S3 bucket with MEDIA_URL=s3://… — here moto's
S3 server on 127.0.0.1, spoken to over HTTP by the real boto3 client."""

from __future__ import annotations

import io

import pytest
from flask import render_template_string
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


# ---- /media/ serves public keys only, however the path is spelled -------------------------------

SLIP_KEY = "private/slips/KD-2026-000001/Zm9vYmFy.pdf"
SECRET = b"%PDF-1.4 the customer's transfer slip"
PUBLIC_KEY = "products/7/ab12.webp"
IMPORT_KEY = "imports/0f3a9c.csv"

PATH_TRICKS = [
    SLIP_KEY,                                                        # asked for plainly
    IMPORT_KEY,                                                      # a staff upload, not public
    "products/../" + SLIP_KEY,                                       # ../
    "products/%2e%2e/" + SLIP_KEY,                                   # %2e%2e/
    "products/%2e%2e%2f" + SLIP_KEY,                                 # %2e%2e%2f
    "products/..%2f" + SLIP_KEY,                                     # ..%2f
    "products/%252e%252e/" + SLIP_KEY,                               # %252e: encoded twice
    "products/%25252e%25252e%25252f" + SLIP_KEY,                     # three times
    "products/7//../../" + SLIP_KEY,                                 # //
    "/" + SLIP_KEY,                                                  # absolute: /media//private
    "%2f" + SLIP_KEY,                                                # absolute, encoded
    "products/7/..\\..\\" + SLIP_KEY,                                # backslashes
    "products%5c..%5c" + SLIP_KEY.replace("/", "%5c"),               # %5c
    "./" + SLIP_KEY,                                                 # /./
    "products/./../" + SLIP_KEY,
    "private./slips./KD-2026-000001./Zm9vYmFy.pdf.",                 # trailing dots (Windows)
    "products/.../" + SLIP_KEY,
    "PRIVATE/slips/KD-2026-000001/Zm9vYmFy.pdf",                     # case (macOS, S3 gateways)
    "products/\uff0e\uff0e/" + SLIP_KEY,                             # full-width dots
    "products/\u2025/" + SLIP_KEY,                                   # two-dot leader
    "products/..\uff0f" + SLIP_KEY,                                  # full-width slash
    "products/..\u2215" + SLIP_KEY,                                  # division slash
    "products/..%c0%af" + SLIP_KEY,                                  # overlong UTF-8 slash
    "products/%00/../../" + SLIP_KEY,                                # NUL
    "products/\u202e/../../" + SLIP_KEY,                             # a bidi override
    "products/..%20/" + SLIP_KEY,                                    # trailing space
]


@pytest.fixture(params=["local", "s3"])
def media_app(request, make_app, tmp_path):
    """An app whose media store holds a slip, a catalog import and a product picture."""
    if request.param == "local":
        app = make_app(MEDIA_URL=f"file://{tmp_path / 'media'}")
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        app = make_app(MEDIA_URL=f"s3://{BUCKET}/tricks", AWS_ENDPOINT_URL=endpoint)
    with app.app_context():
        store = storage()
        store.save(SLIP_KEY, SECRET, "application/pdf")
        store.save(IMPORT_KEY, b"sku,price\nTEA-1,100\n", "text/csv")
        store.save(PUBLIC_KEY, b"RIFF....WEBPpicture", "image/webp")
    return app


@pytest.mark.parametrize("path", PATH_TRICKS)
def test_no_spelling_of_a_path_serves_a_private_file(media_app, path):
    client = media_app.test_client()

    response = client.get(f"/media/{path}", follow_redirects=True)

    # Not found; or, for a control character in the path, refused before any view (400).
    assert response.status_code == (400 if "%00" in path else 404)
    assert SECRET not in response.data and b"TEA-1" not in response.data


@pytest.mark.parametrize("path", [PUBLIC_KEY, "products/7/./ab12.webp",
                                  "products/7/../7/ab12.webp", "products/7/%2e/ab12.webp"])
def test_a_public_picture_is_served_by_any_spelling_of_its_key(media_app, path):
    response = media_app.test_client().get(f"/media/{path}")

    assert response.status_code == 200 and response.data == b"RIFF....WEBPpicture"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.parametrize("path", ["products/7", "products/7/", "products/7/missing.webp",
                                  "products", ""])
def test_a_folder_or_a_missing_picture_is_a_404(media_app, path):
    assert media_app.test_client().get(f"/media/{path}").status_code == 404


@pytest.mark.parametrize("key", ["products/../private/x.pdf", "/products/1/a.webp",
                                 "products//1/a.webp", "products\\1\\a.webp", "products/1/",
                                 "products/1/a.webp.", "products/./1/a.webp", "",
                                 "products/1/\x00.webp", "products/1/\uff41.webp"])
def test_both_stores_take_keys_only_in_their_plain_spelling(s3_endpoint, tmp_path, key):
    for store in (LocalStorage(str(tmp_path)), S3Storage(f"s3://{BUCKET}/plain", s3_endpoint)):
        with pytest.raises(ValueError):
            store.save(key, b"x")
        with pytest.raises(ValueError):
            store.read(key)


def test_a_private_file_in_the_bucket_is_never_kept_by_a_cache(s3_endpoint):
    import boto3

    store = S3Storage(f"s3://{BUCKET}/cache", s3_endpoint)
    store.save(SLIP_KEY, SECRET, "application/octet-stream")
    store.save(PUBLIC_KEY, b"picture", "image/webp")
    client = boto3.client("s3", endpoint_url=s3_endpoint)

    private = client.head_object(Bucket=BUCKET, Key=f"cache/{SLIP_KEY}")
    public = client.head_object(Bucket=BUCKET, Key=f"cache/{PUBLIC_KEY}")

    assert private["CacheControl"] == "private, no-store"
    assert public["CacheControl"] == "public, max-age=31536000"


# ---- one S3 client per process (app/s3.py) ----------------------------------------------------

@pytest.fixture()
def clients_made(monkeypatch):
    """A process with no S3 client yet; the list of the clients boto3 builds from now on."""
    import boto3

    from app import s3

    made = []
    build = boto3.session.Session.client

    def counting(self, service_name, *args, **kwargs):
        client = build(self, service_name, *args, **kwargs)
        made.append(client)
        return client

    monkeypatch.setattr(s3, "_clients", {})
    monkeypatch.setattr(boto3.session.Session, "client", counting)
    return made


def test_uploading_and_showing_pictures_builds_one_s3_client(make_app, s3_endpoint,
                                                             clients_made):
    s3_app = make_app(MEDIA_URL=f"s3://{BUCKET}/many", AWS_ENDPOINT_URL=s3_endpoint)
    keys = []

    with s3_app.app_context():
        product = editing.create_product(inputs.ProductInput(
            name_en="Lime", variants=[inputs.VariantInput(sku="LI-1", price_cents=100)]))
        for colour in ("green", "yellow", "orange", "red"):
            out = io.BytesIO()
            Image.new("RGB", (40, 30), colour).save(out, "PNG")
            keys.append(pictures.add_image(product.id, out.getvalue()).key)
        with s3_app.test_request_context():
            links = render_template_string(
                "{% for k in keys %}{{ media_url(k) }} {{ thumb_url(k) }} {% endfor %}",
                keys=keys)
    served = [s3_app.test_client().get(f"/media/{images.thumb_key(key)}").status_code
              for key in keys]
    built = len(clients_made)

    assert built == 1
    assert served == [200] * 4
    assert links.count("/media/products/") == 8
    assert {f"many/{key}" for key in keys} <= set(_objects(s3_endpoint))


def test_media_and_backups_on_one_endpoint_share_the_client(s3_endpoint, clients_made):
    from app.ops.backups.targets import S3Target

    stores = [S3Storage(f"s3://{BUCKET}/a", s3_endpoint),
              S3Storage(f"s3://{BUCKET}/b", s3_endpoint),
              S3Target(f"s3://{BUCKET}/backups", s3_endpoint)]

    assert {id(store.client) for store in stores} == {id(clients_made[0])}
    assert len(clients_made) == 1


def test_another_endpoint_or_other_credentials_get_a_client_of_their_own(
        s3_endpoint, clients_made, monkeypatch):
    from app import s3

    first = s3.client(s3_endpoint)
    elsewhere = s3.client("http://127.0.0.1:9")  # never called: building one opens nothing
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "another")
    other_key = s3.client(s3_endpoint)

    assert len({id(first), id(elsewhere), id(other_key)}) == 3
    assert other_key._request_signer._credentials.access_key == "another"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    assert s3.client(s3_endpoint) is first


def test_threads_asking_at_once_share_one_client(s3_endpoint, clients_made):
    import threading

    from app import s3

    start = threading.Barrier(8)
    got = []

    def ask():
        start.wait()
        got.append(s3.client(s3_endpoint))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(got) == 8 and len({id(c) for c in got}) == 1
    assert len(clients_made) == 1


def test_a_forked_process_builds_its_own_client(s3_endpoint, clients_made):
    import os

    from app import s3

    parents = s3.client(s3_endpoint)
    pid = os.fork()
    if pid == 0:  # the child: no client of its parent's, and a new one works
        ok = not s3._clients and s3.client(s3_endpoint) is not parents
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert s3.client(s3_endpoint) is parents

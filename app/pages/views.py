import mimetypes

from flask import Response, abort, request, session, url_for
from flask_login import current_user

from app.accounts import services as accounts
from app.catalog import services as catalog
from app.db import reads_only
from app.i18n import LANGUAGES
from app.pages import bp
from app.web import redirect_to, render, safe_next

HOME_CARDS = 8


@bp.get("/")
@reads_only
def home():
    """A short welcome, the categories, featured products and the newest arrivals."""
    featured, newest = catalog.home_shelves(HOME_CARDS)
    stock = catalog.stock_by_product([*featured, *newest])
    return render("pages/home.html", featured=featured, newest=newest, stock=stock,
                  categories=catalog.category_tree())


@bp.post("/language")
def set_language():
    """The shopper's language sticks: in the session, and on the account when signed in."""
    code = request.form.get("language", "")
    if code in LANGUAGES:
        session["locale"] = code
        if current_user.is_authenticated:
            accounts.update_profile(current_user.id, locale=code)
    return redirect_to(safe_next(request.form.get("next"), url_for("pages.home")))


@bp.get("/media/<path:key>")
def media(key: str):
    """Public uploads (product pictures), from whichever store holds them. Long-cached: keys
    never change. Anything else (customers' transfer slips, catalog imports) is a 404 here,
    however the path is spelled (app/storage.py `public_key`): their own routes check who
    asks."""
    from app.storage import public_key, storage

    served = public_key(key)
    if served is None:
        abort(404)
    try:
        data = storage().read(served)
    except (FileNotFoundError, IsADirectoryError, ValueError):
        abort(404)
    kind = mimetypes.guess_type(served)[0] or "application/octet-stream"
    return Response(data, mimetype=kind,
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})

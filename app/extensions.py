"""Flask extensions: created here without an app, bound in create_app."""

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from htmx_flask import Htmx

login_manager = LoginManager()
csrf = CSRFProtect()
htmx = Htmx()
babel = Babel()
# Limits are declared on the routes that need them (login, register, reset, tokens), per
# client address; accounts also wait after repeated wrong passwords (accounts.authenticate).
AUTH_LIMIT = "10 per minute; 100 per hour"


def checkout_rate_limit() -> str:
    """Orders placed per client address (web and API together): CHECKOUT_RATE_LIMIT."""
    return current_app.config["CHECKOUT_RATE_LIMIT"]


limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

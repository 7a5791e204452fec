"""What plans ask of the domains below, at create_app: the signed-in customer's lookup
(accounts, the browser's and the API's) reads whether they have a live plan along with them,
since pricing every cart asks (app/accounts/read_along.py)."""

from __future__ import annotations

from app.accounts import read_along
from app.plans import services as plans

read_along.register("live_subscription_id", plans.live_subscription_id,
                    on_read=plans.keep_live_subscription_id, bearer=True)

"""Recommendations from buying history (issue 20).

What shoppers do is recorded cheaply and kept 13 months; the recommender reads it with the
orders each night.

- models.py       shopper events (views, searches, cart adds, purchases) and each customer's
                  personalisation choice
- tracking.py     recording into a buffer (Redis, or this process), the job that saves it,
                  retention, the customer's choice (saying no deletes what was noted)
- visitors.py     whose events a request's are: the customer, or a signed-out visitor's
                  first-party id, joined at sign-in
- handlers.py     a customer's order becomes purchase events; an erased customer's go
- views.py        /account/personalisation
"""

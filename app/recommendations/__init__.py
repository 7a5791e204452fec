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

The recommender's algorithms are pure functions over plain data (no Flask, no database): the
nightly job reads purchases, hands them over as a `Purchases`, and stores what comes back;
bench/recs.py runs the same functions on a public grocery data set.

- purchases.py    `Purchases`: order lines as columns, and their encoding to matrix indices
- algorithms.py   buy_again, bought_together (+ together_with for the cart), for_you,
                  popular_items, popular_by_group: lists of `Recommendation`
- rebuy.py        buy again's logistic model: features of each past (customer, item) pair
- similarity.py   item-to-item neighbours from co-occurrence, shrunk, top k
- ranking.py      top N of a score matrix, and the item that explains a recommendation
"""

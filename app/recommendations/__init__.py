"""Recommendations from buying history (issue 20).

What shoppers do is recorded cheaply and kept 13 months; the recommender reads it with the
orders each night.

- models.py       shopper events (views, searches, cart adds, purchases) and each customer's
                  personalisation choice
- tracking.py     recording into a buffer (Redis, or this process), the job that saves it,
                  retention, the customer's choice (saying no deletes what was noted)
- visitors.py     whose events a request's are: the customer, or a signed-out visitor's
                  first-party id, joined at sign-in
- handlers.py     a customer's order becomes purchase events and leaves their personal
                  lists; an erased customer's events and lists go
- views.py        /account/personalisation, and the strips pages fetch by htmx
                  (/recommendations/home, /product/<id>, /cart, /search)

What shoppers see, from lists a nightly job stores (recommendations at 02:30 Colombo):

- nightly.py      reads 13 months of sales (app.orders.history), runs the algorithms below,
                  stores every list in one transaction; `flask recommendations compute`
- lists.py        the stored lists: one row per (kind, owner), read by a page in one query,
                  trimmed when a customer orders
- strips.py       the strips, filtered as they are read (sold out, unpublished, in the cart),
                  falling back to what is popular (browsed categories, district, shop)
- offers.py       personal offers: staff's templates, the nightly decisions (a single-use
                  voucher from app.promotions.personal, or held out at random), and the
                  report of treated against held out with its confidence interval
- cli.py          `flask recommendations compute`

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

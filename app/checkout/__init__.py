"""The cart, the pricing pipeline, delivery options and placing an order."""

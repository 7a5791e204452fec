"""Products and services, their variants, categories, images and translations."""

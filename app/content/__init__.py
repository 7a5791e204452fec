"""The shop's own words: its pages (about, contact, delivery and returns, privacy, terms) and
its details (name, address, phones, email, opening hours), in English, Sinhala and Tamil,
edited by staff. English stands in where a translation is missing; the settings in
app/config.py stand in for details nobody has saved yet."""

"""The 25 administrative districts of Sri Lanka, by province, with their names in each language."""

from __future__ import annotations

from app.i18n import current_language

# code: (English, Sinhala, Tamil, province)
DISTRICTS: dict[str, tuple[str, str, str, str]] = {
    "colombo": ("Colombo", "කොළඹ", "கொழும்பு", "Western"),
    "gampaha": ("Gampaha", "ගම්පහ", "கம்பகா", "Western"),
    "kalutara": ("Kalutara", "කළුතර", "களுத்துறை", "Western"),
    "kandy": ("Kandy", "මහනුවර", "கண்டி", "Central"),
    "matale": ("Matale", "මාතලේ", "மாத்தளை", "Central"),
    "nuwara_eliya": ("Nuwara Eliya", "නුවරඑළිය", "நுவரெலியா", "Central"),
    "galle": ("Galle", "ගාල්ල", "காலி", "Southern"),
    "matara": ("Matara", "මාතර", "மாத்தறை", "Southern"),
    "hambantota": ("Hambantota", "හම්බන්තොට", "அம்பாந்தோட்டை", "Southern"),
    "jaffna": ("Jaffna", "යාපනය", "யாழ்ப்பாணம்", "Northern"),
    "kilinochchi": ("Kilinochchi", "කිලිනොච්චිය", "கிளிநொச்சி", "Northern"),
    "mannar": ("Mannar", "මන්නාරම", "மன்னார்", "Northern"),
    "vavuniya": ("Vavuniya", "වවුනියාව", "வவுனியா", "Northern"),
    "mullaitivu": ("Mullaitivu", "මුලතිව්", "முல்லைத்தீவு", "Northern"),
    "batticaloa": ("Batticaloa", "මඩකලපුව", "மட்டக்களப்பு", "Eastern"),
    "ampara": ("Ampara", "අම්පාර", "அம்பாறை", "Eastern"),
    "trincomalee": ("Trincomalee", "ත්‍රිකුණාමලය", "திருகோணமலை", "Eastern"),
    "kurunegala": ("Kurunegala", "කුරුණෑගල", "குருநாகல்", "North Western"),
    "puttalam": ("Puttalam", "පුත්තලම", "புத்தளம்", "North Western"),
    "anuradhapura": ("Anuradhapura", "අනුරාධපුරය", "அனுராதபுரம்", "North Central"),
    "polonnaruwa": ("Polonnaruwa", "පොළොන්නරුව", "பொலன்னறுவை", "North Central"),
    "badulla": ("Badulla", "බදුල්ල", "பதுளை", "Uva"),
    "monaragala": ("Monaragala", "මොණරාගල", "மொணராகலை", "Uva"),
    "ratnapura": ("Ratnapura", "රත්නපුර", "இரத்தினபுரி", "Sabaragamuwa"),
    "kegalle": ("Kegalle", "කෑගල්ල", "கேகாலை", "Sabaragamuwa"),
}

_COLUMN = {"en": 0, "si": 1, "ta": 2}


def is_district(code: str | None) -> bool:
    return code in DISTRICTS


def district_name(code: str, locale: str | None = None) -> str:
    locale = locale or current_language()
    names = DISTRICTS.get(code)
    return names[_COLUMN.get(locale, 0)] if names else code


def choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) pairs in the shopper's language, in English alphabetical order."""
    return sorted(((c, district_name(c, locale)) for c in DISTRICTS),
                  key=lambda pair: DISTRICTS[pair[0]][0])

# ruff: noqa: E501  (a table of data reads best one row a line)
"""The demo shop's catalog: categories, 60 products and 6 services with Sinhala and Tamil
names. Data only; `app.demo` loads it through the services."""

# slug: (English, Sinhala, Tamil, parent slug or None)
CATEGORIES = {
    "groceries": ("Groceries", "සිල්ලර බඩු", "மளிகை", None),
    "tea-spices": ("Tea & spices", "තේ සහ කුළුබඩු", "தேநீர் & மசாலா", "groceries"),
    "rice-grains": ("Rice & grains", "සහල් සහ ධාන්‍ය", "அரிசி & தானியங்கள்", "groceries"),
    "home-kitchen": ("Home & kitchen", "නිවස සහ කුස්සිය", "வீடு & சமையலறை", None),
    "electronics": ("Electronics", "ඉලෙක්ට්‍රොනික", "மின்னணு", None),
    "clothing": ("Clothing", "ඇඳුම්", "ஆடைகள்", None),
    "beauty": ("Beauty & care", "රූපලාවන්‍ය", "அழகு & பராமரிப்பு", None),
    "services": ("Services", "සේවා", "சேவைகள்", None),
}

# (English, Sinhala, Tamil, category, price in rupees, variant set, attributes)
# Variant sets: "weight" (3 pack sizes), "size" (S/M/L), "colour" (2 colours), None (one).
PRODUCTS = [
    ("Ceylon black tea leaves", "තේ කොළ", "தேயிலை", "tea-spices", 650, "weight", {"origin": "Nuwara Eliya"}),
    ("Green tea", "කොළ තේ", "பச்சை தேநீர்", "tea-spices", 890, "weight", {"origin": "Kandy"}),
    ("Cinnamon sticks", "කුරුඳු පොතු", "இலவங்கப்பட்டை", "tea-spices", 480, "weight", {"origin": "Galle"}),
    ("Black pepper", "ගම්මිරිස්", "மிளகு", "tea-spices", 520, "weight", {"origin": "Matale"}),
    ("Cardamom", "එනසාල්", "ஏலக்காய்", "tea-spices", 1450, "weight", {"origin": "Kandy"}),
    ("Cloves", "කරාබු නැටි", "கிராம்பு", "tea-spices", 760, "weight", {"origin": "Matale"}),
    ("Curry powder", "තුනපහ", "கறித்தூள்", "tea-spices", 390, "weight", {"origin": "Colombo"}),
    ("Chilli powder", "මිරිස් කුඩු", "மிளகாய்த்தூள்", "tea-spices", 350, "weight", {"origin": "Jaffna"}),
    ("Turmeric powder", "කහ කුඩු", "மஞ்சள் தூள்", "tea-spices", 310, "weight", {"origin": "Kurunegala"}),
    ("Nutmeg", "සාදික්කා", "ஜாதிக்காய்", "tea-spices", 680, "weight", {"origin": "Kandy"}),
    ("Red raw rice", "රතු කැකුළු සහල්", "சிவப்பு பச்சை அரிசி", "rice-grains", 290, "weight", {"origin": "Polonnaruwa"}),
    ("Samba rice", "සම්බා සහල්", "சம்பா அரிசி", "rice-grains", 260, "weight", {"origin": "Ampara"}),
    ("Keeri samba rice", "කීරි සම්බා", "கீரி சம்பா", "rice-grains", 340, "weight", {"origin": "Anuradhapura"}),
    ("Green gram", "මුං ඇට", "பச்சைப் பயறு", "rice-grains", 420, "weight", {"origin": "Vavuniya"}),
    ("Red lentils", "පරිප්පු", "பருப்பு", "rice-grains", 380, "weight", {"origin": "Imported"}),
    ("Kurakkan flour", "කුරක්කන් පිටි", "குரக்கன் மாவு", "rice-grains", 450, "weight", {"origin": "Monaragala"}),
    ("Coconut oil", "පොල් තෙල්", "தேங்காய் எண்ணெய்", "groceries", 980, None, {"origin": "Kurunegala"}),
    ("Kithul treacle", "කිතුල් පැණි", "கித்துள் பாணி", "groceries", 1250, None, {"origin": "Ratnapura"}),
    ("Jaggery", "හකුරු", "வெல்லம்", "groceries", 560, None, {"origin": "Ratnapura"}),
    ("Dried sprats", "හාල්මැස්සෝ", "நெத்திலி கருவாடு", "groceries", 720, None, {"origin": "Negombo"}),
    ("Clay cooking pot", "මැටි හට්ටිය", "மண் சட்டி", "home-kitchen", 1450, "size", {"material": "clay"}),
    ("Coconut scraper", "හිරමනය", "தேங்காய் துருவி", "home-kitchen", 1850, None, {"material": "steel"}),
    ("Rice cooker", "බත් පිසින යන්ත්‍රය", "சோறு சமைக்கும் கருவி", "home-kitchen", 12500, "colour", {"material": "steel"}),
    ("Stainless steel kettle", "විදුලි කේතලය", "மின்சார கெட்டில்", "home-kitchen", 6900, "colour", {"material": "steel"}),
    ("Mortar and pestle", "වංගෙඩිය සහ මෝල් ගස", "உரல் உலக்கை", "home-kitchen", 3200, None, {"material": "wood"}),
    ("Hopper pan", "ආප්ප තාච්චිය", "அப்பச் சட்டி", "home-kitchen", 2400, None, {"material": "iron"}),
    ("String hopper mould set", "ඉඳිආප්ප තැටි", "இடியப்பத் தட்டு", "home-kitchen", 950, None, {"material": "wood"}),
    ("Cane basket", "වේවැල් පැස", "பிரம்புக் கூடை", "home-kitchen", 1750, "size", {"material": "cane"}),
    ("Batik cushion cover", "බතික් කොට්ට උර", "பத்திக் தலையணை உறை", "home-kitchen", 2200, "colour", {"material": "cotton"}),
    ("Handloom bedsheet", "අත්යන්ත්‍ර ඇඳ ඇතිරිල්ල", "கைத்தறி படுக்கை விரிப்பு", "home-kitchen", 5400, "colour", {"material": "cotton"}),
    ("Brass oil lamp", "පිත්තල පහන", "பித்தளை விளக்கு", "home-kitchen", 4800, "size", {"material": "brass"}),
    ("Ceiling fan", "සිවිලිම් විදුලි පංකාව", "கூரை மின்விசிறி", "electronics", 14500, "colour", {"brand": "Kade Home"}),
    ("Table fan", "මේස විදුලි පංකාව", "மேசை மின்விசிறி", "electronics", 7800, "colour", {"brand": "Kade Home"}),
    ("LED bulb", "LED බල්බය", "LED மின்விளக்கு", "electronics", 650, "size", {"brand": "Lumo"}),
    ("Smartphone charger", "ජංගම දුරකථන චාජරය", "கைபேசி சார்ஜர்", "electronics", 2900, None, {"brand": "Lumo"}),
    ("Bluetooth speaker", "බ්ලූටූත් ස්පීකරය", "புளூடூத் ஒலிபெருக்கி", "electronics", 8900, "colour", {"brand": "Lumo"}),
    ("Wireless earbuds", "රැහැන් රහිත ඉයර්බඩ්ස්", "கம்பியில்லா காதணிகள்", "electronics", 11900, "colour", {"brand": "Lumo"}),
    ("Power bank", "පවර් බැංකුව", "பவர் பேங்க்", "electronics", 6500, None, {"brand": "Lumo"}),
    ("Extension cord", "විදුලි දිගු රැහැන", "நீட்டிப்பு கம்பி", "electronics", 2300, "size", {"brand": "Kade Home"}),
    ("Electric iron", "විදුලි ස්ත්‍රික්කය", "மின்சார இஸ்திரி பெட்டி", "electronics", 5600, None, {"brand": "Kade Home"}),
    ("Blender", "බ්ලෙන්ඩරය", "மிக்ஸி", "electronics", 15800, None, {"brand": "Kade Home"}),
    ("Cotton sarong", "කපු සරම", "பருத்தி சாரம்", "clothing", 1650, "colour", {"material": "cotton"}),
    ("Batik shirt", "බතික් කමිසය", "பத்திக் சட்டை", "clothing", 3900, "size", {"material": "cotton"}),
    ("Handloom saree", "අත්යන්ත්‍ර සාරිය", "கைத்தறி சேலை", "clothing", 14500, "colour", {"material": "cotton"}),
    ("Linen trousers", "ලිනන් කලිසම", "லினன் கால்சட்டை", "clothing", 4700, "size", {"material": "linen"}),
    ("Kids' school shoes", "ළමා පාසල් සපත්තු", "குழந்தைகள் பள்ளிக் காலணிகள்", "clothing", 3600, "size", {"material": "leather"}),
    ("Rubber slippers", "රබර් සෙරෙප්පු", "ரப்பர் செருப்பு", "clothing", 890, "size", {"material": "rubber"}),
    ("Umbrella", "කුඩය", "குடை", "clothing", 1950, "colour", {"material": "nylon"}),
    ("Cotton T-shirt", "කපු ටී ෂර්ට්", "பருத்தி டி-சட்டை", "clothing", 1900, "size", {"material": "cotton"}),
    ("Denim jeans", "ඩෙනිම් කලිසම", "டெனிம் ஜீன்ஸ்", "clothing", 5900, "size", {"material": "denim"}),
    ("Herbal soap", "ඖෂධීය සබන්", "மூலிகை சோப்பு", "beauty", 280, None, {"brand": "Veda"}),
    ("Sandalwood soap", "සඳුන් සබන්", "சந்தன சோப்பு", "beauty", 320, None, {"brand": "Veda"}),
    ("Aloe vera gel", "කෝමාරිකා ජෙල්", "கற்றாழை ஜெல்", "beauty", 750, "size", {"brand": "Veda"}),
    ("Coconut hair oil", "පොල් කෙස් තෙල්", "தேங்காய் தலை எண்ணெய்", "beauty", 540, "size", {"brand": "Veda"}),
    ("Herbal balm", "ඖෂධීය බාම්", "மூலிகை தைலம்", "beauty", 450, None, {"brand": "Veda"}),
    ("Sunscreen lotion", "අව්ව ආරක්ෂක ලෝෂන්", "சூரிய பாதுகாப்பு லோஷன்", "beauty", 1850, "size", {"brand": "Veda"}),
    ("Face wash", "මුහුණ සෝදන", "முகம் கழுவும் திரவம்", "beauty", 980, None, {"brand": "Veda"}),
    ("Toothpaste with clove", "කරාබු දත් බෙහෙත", "கிராம்பு பற்பசை", "beauty", 360, "size", {"brand": "Veda"}),
    ("Neem shampoo", "කොහොඹ ෂැම්පු", "வேம்பு ஷாம்பு", "beauty", 890, "size", {"brand": "Veda"}),
    ("Body lotion", "සිරුරු ලෝෂන්", "உடல் லோஷன்", "beauty", 1250, "size", {"brand": "Veda"}),
]

# Where the home services go: the Western province, Kandy, Galle and Jaffna (partners there);
# not the rest of the north and east, Uva or Sabaragamuwa.
HOME_SERVICE_DISTRICTS = ("colombo", "gampaha", "kalutara", "kandy", "galle", "jaffna")

# (English, Sinhala, Tamil, price in rupees, minutes, where, districts served at the address)
# Where: "address" (at the customer's address), "shop" (at our Colombo shop) or "online".
SERVICES = [
    ("Air conditioner installation", "වායු සමීකරණ සවි කිරීම", "குளிரூட்டி பொருத்துதல்", 8500, 180, "address", ("colombo", "gampaha", "kalutara", "kandy", "jaffna")),
    ("Phone screen repair", "දුරකථන තිර අලුත්වැඩියාව", "கைபேசி திரை பழுதுபார்ப்பு", 4500, 60, "shop", ()),
    ("Home deep cleaning", "නිවාස පිරිසිදු කිරීම", "வீடு ஆழ்ந்த சுத்தம்", 12000, 240, "address", HOME_SERVICE_DISTRICTS),
    ("Sri Lankan cooking class", "ශ්‍රී ලාංකික ඉවුම් පිහුම් පන්තිය", "இலங்கை சமையல் வகுப்பு", 6500, 150, "shop", ()),
    ("Tailoring consultation", "ඇඳුම් මැසීමේ උපදේශනය", "தையல் ஆலோசனை", 2000, 45, "online", ()),
    ("Laptop servicing", "ලැප්ටොප් සේවාව", "மடிக்கணினி சேவை", 5500, 90, "shop", ()),
]

VARIANT_SETS = {
    "weight": [({"pack": "250 g"}, 1.0), ({"pack": "500 g"}, 1.9), ({"pack": "1 kg"}, 3.6)],
    "size": [({"size": "S"}, 1.0), ({"size": "M"}, 1.1), ({"size": "L"}, 1.2)],
    "colour": [({"colour": "White"}, 1.0), ({"colour": "Black"}, 1.05)],
    None: [({}, 1.0)],
}

# The demo's options in Sinhala and Tamil: (name, value) in English → ((si name, si value),
# (ta name, ta value)). Machine-quality wording: needs review by a native speaker.
OPTION_TRANSLATIONS = {
    ("pack", "250 g"): (("ඇසුරුම", "ග්‍රෑම් 250"), ("பொதி", "250 கிராம்")),
    ("pack", "500 g"): (("ඇසුරුම", "ග්‍රෑම් 500"), ("பொதி", "500 கிராம்")),
    ("pack", "1 kg"): (("ඇසුරුම", "කිලෝ 1"), ("பொதி", "1 கிலோ")),
    ("size", "S"): (("ප්‍රමාණය", "කුඩා (S)"), ("அளவு", "சிறியது (S)")),
    ("size", "M"): (("ප්‍රමාණය", "මධ්‍යම (M)"), ("அளவு", "நடுத்தரம் (M)")),
    ("size", "L"): (("ප්‍රමාණය", "විශාල (L)"), ("அளவு", "பெரியது (L)")),
    ("colour", "White"): (("වර්ණය", "සුදු"), ("நிறம்", "வெள்ளை")),
    ("colour", "Black"): (("වර්ණය", "කළු"), ("நிறம்", "கருப்பு")),
}


def translated_options(options: dict[str, str], lang: str) -> dict[str, str] | None:
    """The demo's `options` in "si" or "ta", or None when one of them has no translation."""
    index = {"si": 0, "ta": 1}[lang]
    pairs = [OPTION_TRANSLATIONS.get((name, value)) for name, value in options.items()]
    if not pairs or None in pairs:
        return None
    return dict(pair[index] for pair in pairs)


# The demo's attribute values in Sinhala and Tamil (brands stay as they are). Machine-quality
# wording: needs review by a native speaker.
VALUE_TRANSLATIONS = {
    "brass": ("පිත්තල", "பித்தளை"), "cane": ("වේවැල්", "பிரம்பு"), "clay": ("මැටි", "களிமண்"),
    "cotton": ("කපු", "பருத்தி"), "denim": ("ඩෙනිම්", "டெனிம்"), "iron": ("යකඩ", "இரும்பு"),
    "leather": ("සම්", "தோல்"), "linen": ("ලිනන්", "லினன்"), "nylon": ("නයිලෝන්", "நைலான்"),
    "rubber": ("රබර්", "இரப்பர்"), "steel": ("වානේ", "எஃகு"), "wood": ("ලී", "மரம்"),
    "Ampara": ("අම්පාර", "அம்பாறை"), "Anuradhapura": ("අනුරාධපුරය", "அனுராதபுரம்"),
    "Colombo": ("කොළඹ", "கொழும்பு"), "Galle": ("ගාල්ල", "காலி"),
    "Imported": ("ආනයනික", "இறக்குமதி"), "Jaffna": ("යාපනය", "யாழ்ப்பாணம்"),
    "Kandy": ("මහනුවර", "கண்டி"), "Kurunegala": ("කුරුණෑගල", "குருநாகல்"),
    "Matale": ("මාතලේ", "மாத்தளை"), "Monaragala": ("මොණරාගල", "மொனராகலை"),
    "Negombo": ("මීගමුව", "நீர்கொழும்பு"), "Nuwara Eliya": ("නුවරඑළිය", "நுவரெலியா"),
    "Polonnaruwa": ("පොළොන්නරුව", "பொலன்னறுவை"), "Ratnapura": ("රත්නපුරය", "இரத்தினபுரி"),
    "Vavuniya": ("වව්නියාව", "வவுனியா"),
}


def value_translations(attributes: dict[str, str]) -> dict[str, dict[str, str]]:
    """{"si": {value: Sinhala}, "ta": {value: Tamil}} for the demo values that have them."""
    known = [v for v in attributes.values() if v in VALUE_TRANSLATIONS]
    return {lang: {v: VALUE_TRANSLATIONS[v][i] for v in known}
            for i, lang in enumerate(("si", "ta"))}

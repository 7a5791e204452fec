"""The text a new shop's pages start with, until staff edit them (and what the demo shop
shows). Written for Kade's demo shop in Colombo; a real shop rewrites them in the back
office (Shop pages).

The Sinhala and Tamil texts are machine-quality drafts: they need review by a native speaker
before a real shop relies on them.
"""

# fmt: off
PAGES = {
    "about": {
        "title_en": "About us",
        "body_en": """We are a small family shop in Colombo, selling groceries, tea, spices, \
household goods and home services to customers across Sri Lanka since 2009.

## What we promise
- Fair prices, shown in rupees with everything included.
- Delivery to all 25 districts, and cash on delivery where it is offered.
- A real person answers your questions, in English, Sinhala or Tamil.

Questions? See [how to reach us](/contact).""",
        # Sinhala: needs review by a native speaker.
        "title_si": "අප ගැන",
        "body_si": """අපි 2009 සිට කොළඹ සිට ශ්‍රී ලංකාව පුරා පාරිභෝගිකයින්ට සිල්ලර බඩු, තේ, \
කුළුබඩු, ගෘහ භාණ්ඩ සහ නිවාස සේවා සපයන කුඩා පවුල් සාප්පුවකි.

## අපගේ පොරොන්දුව
- සාධාරණ මිල, සියල්ල ඇතුළුව රුපියල් වලින්.
- දිස්ත්‍රික්ක 25 ටම බෙදා හැරීම, සහ ලබා දෙන තැන්වල භාණ්ඩ ලැබුණු විට මුදල් ගෙවීම.
- ඔබේ ප්‍රශ්නවලට ඉංග්‍රීසි, සිංහල හෝ දෙමළ භාෂාවෙන් සැබෑ පුද්ගලයෙක් පිළිතුරු දෙයි.

ප්‍රශ්න තිබේද? [අප හා සම්බන්ධ වන ආකාරය](/contact) බලන්න.""",
        # Tamil: needs review by a native speaker.
        "title_ta": "எங்களைப் பற்றி",
        "body_ta": """நாங்கள் 2009 முதல் கொழும்பிலிருந்து இலங்கை முழுவதும் உள்ள வாடிக்கையாளர்களுக்கு \
மளிகைப் பொருட்கள், தேநீர், மசாலாப் பொருட்கள், வீட்டுப் பொருட்கள் மற்றும் வீட்டுச் சேவைகளை \
வழங்கும் ஒரு சிறிய குடும்பக் கடை.

## எங்கள் வாக்குறுதி
- நியாயமான விலைகள், அனைத்தும் உள்ளடங்கலாக ரூபாயில்.
- 25 மாவட்டங்களுக்கும் விநியோகம், வழங்கப்படும் இடங்களில் பணம் செலுத்தி பெறும் வசதி.
- உங்கள் கேள்விகளுக்கு ஆங்கிலம், சிங்களம் அல்லது தமிழில் ஒரு உண்மையான நபர் பதிலளிப்பார்.

கேள்விகள் உள்ளதா? [எங்களைத் தொடர்புகொள்வது எப்படி](/contact) பார்க்கவும்.""",
    },
    "contact": {
        "title_en": "Contact us",
        "body_en": """Call our hotline or send us a WhatsApp message: we answer every day \
within our opening hours, in English, Sinhala or Tamil.

Asking about an order? Open it from the link in your order email or SMS and use \
**Ask about this order**: we reply by email and SMS.""",
        # Sinhala: needs review by a native speaker.
        "title_si": "අප අමතන්න",
        "body_si": """අපගේ ක්ෂණික ඇමතුම් අංකයට අමතන්න හෝ WhatsApp පණිවිඩයක් එවන්න: අපි විවෘත \
වේලාවන් තුළ සෑම දිනකම ඉංග්‍රීසි, සිංහල හෝ දෙමළ භාෂාවෙන් පිළිතුරු දෙමු.

ඇණවුමක් ගැන විමසීමට අවශ්‍යද? ඔබේ ඇණවුම් ඊමේල් හෝ SMS හි ඇති සබැඳියෙන් එය විවෘත කර \
**මෙම ඇණවුම ගැන විමසන්න** භාවිතා කරන්න: අපි ඊමේල් සහ SMS මගින් පිළිතුරු දෙමු.""",
        # Tamil: needs review by a native speaker.
        "title_ta": "எங்களைத் தொடர்புகொள்ள",
        "body_ta": """எங்கள் அவசர தொலைபேசி எண்ணை அழைக்கவும் அல்லது WhatsApp செய்தி அனுப்பவும்: \
திறந்திருக்கும் நேரங்களில் ஒவ்வொரு நாளும் ஆங்கிலம், சிங்களம் அல்லது தமிழில் பதிலளிக்கிறோம்.

ஒரு ஆர்டர் பற்றி கேட்க வேண்டுமா? உங்கள் ஆர்டர் மின்னஞ்சல் அல்லது SMS இல் உள்ள இணைப்பிலிருந்து \
அதைத் திறந்து **இந்த ஆர்டர் பற்றி கேளுங்கள்** பயன்படுத்தவும்: மின்னஞ்சல் மற்றும் SMS மூலம் \
பதிலளிப்போம்.""",
    },
    "delivery-and-returns": {
        "title_en": "Delivery and returns",
        "body_en": """## Delivery
- Colombo: same-day delivery for orders placed before 2 pm.
- Everywhere else in Sri Lanka: 2 to 4 working days.
- Or collect your order from our Colombo shop.

The delivery fee for your district is shown at checkout, before you pay. Larger orders \
travel free.

## Cash on delivery
Pay in cash when your order arrives, where cash on delivery is offered (checkout shows it). \
Home services are paid on the day of your booking.

## Returns
- Tell us within 7 days of delivery, from your order's page (**Request a return**).
- Unopened goods in their packaging: a full refund to the way you paid.
- Damaged or wrong items: we collect them and refund or replace them, at no cost to you.
- Fresh food cannot be returned once delivered, unless it arrived spoiled.

Refunds reach a card or bank account within 7 working days.""",
        # Sinhala: needs review by a native speaker.
        "title_si": "බෙදා හැරීම සහ ආපසු දීම",
        "body_si": """## බෙදා හැරීම
- කොළඹ: ප.ව. 2 ට පෙර කරන ඇණවුම් එදිනම බෙදා හැරේ.
- ශ්‍රී ලංකාවේ අනෙකුත් ප්‍රදේශ: වැඩ කරන දින 2 සිට 4 දක්වා.
- නැතහොත් අපගේ කොළඹ සාප්පුවෙන් ඔබේ ඇණවුම ලබා ගන්න.

ඔබේ දිස්ත්‍රික්කයට බෙදා හැරීමේ ගාස්තුව ගෙවීමට පෙර ඇණවුම් පිටුවේ පෙන්වයි. විශාල ඇණවුම් \
නොමිලේ බෙදා හැරේ.

## භාණ්ඩ ලැබුණු විට මුදල් ගෙවීම
ඔබේ ඇණවුම ලැබුණු විට මුදලින් ගෙවන්න (ලබා දෙන තැන්වල; ඇණවුම් පිටුවේ පෙන්වයි). නිවාස සේවා \
සඳහා ඔබේ වෙන්කිරීමේ දිනයේ ගෙවන්න.

## ආපසු දීම
- බෙදා හැරීමෙන් දින 7ක් ඇතුළත ඔබේ ඇණවුම් පිටුවෙන් (**ආපසු දීමක් ඉල්ලන්න**) අපට දන්වන්න.
- නොවිවෘත ඇසුරුම් සහිත භාණ්ඩ: ඔබ ගෙවූ ආකාරයටම සම්පූර්ණ මුදල ආපසු.
- හානි වූ හෝ වැරදි භාණ්ඩ: අපි ඒවා එකතු කර, ඔබට කිසිදු වියදමකින් තොරව මුදල් ආපසු හෝ \
ප්‍රතිස්ථාපනය කරමු.
- නැවුම් ආහාර නරක් වී පැමිණියේ නම් මිස බෙදා හැරීමෙන් පසු ආපසු දිය නොහැක.

කාඩ්පතකට හෝ බැංකු ගිණුමකට මුදල් ආපසු වැඩ කරන දින 7ක් ඇතුළත ලැබේ.""",
        # Tamil: needs review by a native speaker.
        "title_ta": "விநியோகம் மற்றும் திருப்பி அனுப்புதல்",
        "body_ta": """## விநியோகம்
- கொழும்பு: பிற்பகல் 2 மணிக்கு முன் செய்யப்படும் ஆர்டர்களுக்கு அதே நாள் விநியோகம்.
- இலங்கையின் மற்ற பகுதிகள்: 2 முதல் 4 வேலை நாட்கள்.
- அல்லது எங்கள் கொழும்பு கடையில் உங்கள் ஆர்டரைப் பெற்றுக்கொள்ளுங்கள்.

உங்கள் மாவட்டத்திற்கான விநியோகக் கட்டணம் பணம் செலுத்துவதற்கு முன் காட்டப்படும். பெரிய \
ஆர்டர்கள் இலவசமாக விநியோகிக்கப்படும்.

## பணம் செலுத்தி பெறுதல்
உங்கள் ஆர்டர் வந்தவுடன் பணமாக செலுத்துங்கள் (வழங்கப்படும் இடங்களில்; ஆர்டர் பக்கம் \
காட்டும்). வீட்டுச் சேவைகளுக்கு முன்பதிவு செய்த நாளில் செலுத்துங்கள்.

## திருப்பி அனுப்புதல்
- விநியோகத்திலிருந்து 7 நாட்களுக்குள் உங்கள் ஆர்டர் பக்கத்திலிருந்து (**திருப்பி அனுப்ப \
கோருங்கள்**) எங்களுக்குத் தெரிவியுங்கள்.
- திறக்கப்படாத பொருட்கள்: நீங்கள் செலுத்திய முறைக்கே முழுப் பணமும் திருப்பித் தரப்படும்.
- சேதமடைந்த அல்லது தவறான பொருட்கள்: நாங்கள் அவற்றை எடுத்துச் சென்று, உங்களுக்கு எந்தச் \
செலவுமின்றி பணத்தைத் திருப்பித் தருவோம் அல்லது மாற்றித் தருவோம்.
- கெட்டுப்போய் வந்தால் தவிர, புதிய உணவுப் பொருட்களை விநியோகத்திற்குப் பின் திருப்பி அனுப்ப \
முடியாது.

அட்டை அல்லது வங்கிக் கணக்கிற்கான பணம் 7 வேலை நாட்களுக்குள் திருப்பித் தரப்படும்.""",
    },
    "privacy": {
        "title_en": "Privacy notice",
        "body_en": """This notice explains what personal data we collect, why, and your rights \
under the Personal Data Protection Act, No. 9 of 2022.

## What we collect
- Your name, email address and mobile number.
- The delivery addresses you give us.
- Your orders, payments (never your card number: PayHere handles cards) and your messages \
to us.
- Your language and your choices about SMS and offers.

## Why
- To deliver your orders, take payment and send you their updates by email and SMS.
- To answer your questions and handle returns.
- To keep the accounts and tax records the law requires.
- To send offers, only if you ask for them.

We do not sell your data. We share it only with those who help us deliver your order \
(couriers, the payment provider, the SMS and email services), and only what they need. \
Your details are stored encrypted.

## Your rights
- See and download a copy of your data.
- Have wrong details corrected.
- Have your account and data erased, except the order records the law makes us keep.
- Withdraw your consent to offers at any time.
- Complain to the Data Protection Authority of Sri Lanka.

## How to ask
Signed in, open [My data](/account/privacy) to download or erase your data. Or write to us \
(see [Contact us](/contact)): we answer within 21 days.""",
        # Sinhala: needs review by a native speaker.
        "title_si": "පෞද්ගලිකත්ව දැන්වීම",
        "body_si": """2022 අංක 9 දරන පුද්ගලික දත්ත ආරක්ෂණ පනත යටතේ අප එකතු කරන පුද්ගලික දත්ත, \
ඒ මන්ද, සහ ඔබේ අයිතිවාසිකම් මෙම දැන්වීමෙන් පැහැදිලි කරයි.

## අප එකතු කරන දේ
- ඔබේ නම, ඊමේල් ලිපිනය සහ ජංගම දුරකථන අංකය.
- ඔබ අපට දෙන බෙදා හැරීමේ ලිපින.
- ඔබේ ඇණවුම්, ගෙවීම් (ඔබේ කාඩ් අංකය කිසිදා නොවේ: කාඩ්පත් PayHere හසුරුවයි) සහ ඔබ අපට \
එවන පණිවිඩ.
- ඔබේ භාෂාව සහ SMS සහ දීමනා පිළිබඳ ඔබේ තේරීම්.

## ඇයි
- ඔබේ ඇණවුම් බෙදා හැරීමට, ගෙවීම් ලබා ගැනීමට සහ ඊමේල් හා SMS මගින් යාවත්කාලීන කිරීම් \
යැවීමට.
- ඔබේ ප්‍රශ්නවලට පිළිතුරු දීමට සහ ආපසු දීම් හැසිරවීමට.
- නීතිය අවශ්‍ය කරන ගිණුම් සහ බදු වාර්තා තබා ගැනීමට.
- ඔබ ඉල්ලන්නේ නම් පමණක් දීමනා යැවීමට.

අපි ඔබේ දත්ත විකුණන්නේ නැත. ඔබේ ඇණවුම බෙදා හැරීමට උදව් කරන අයට (කුරියර්, ගෙවීම් සපයන්නා, \
SMS සහ ඊමේල් සේවා) පමණක්, ඔවුන්ට අවශ්‍ය දේ පමණක් බෙදා ගනිමු. ඔබේ විස්තර සංකේතනය කර ගබඩා කෙරේ.

## ඔබේ අයිතිවාසිකම්
- ඔබේ දත්ත බලා පිටපතක් බාගත කිරීම.
- වැරදි විස්තර නිවැරදි කරවා ගැනීම.
- නීතිය අපට තබා ගැනීමට නියම කරන ඇණවුම් වාර්තා හැර, ඔබේ ගිණුම සහ දත්ත මකා දැමීම.
- ඕනෑම වේලාවක දීමනා සඳහා ඔබේ කැමැත්ත ඉවත් කර ගැනීම.
- ශ්‍රී ලංකා දත්ත ආරක්ෂණ අධිකාරියට පැමිණිලි කිරීම.

## ඉල්ලන ආකාරය
පුරනය වී, ඔබේ දත්ත බාගත කිරීමට හෝ මකා දැමීමට [මගේ දත්ත](/account/privacy) විවෘත කරන්න. \
නැතහොත් අපට ලියන්න ([අප අමතන්න](/contact) බලන්න): අපි දින 21ක් ඇතුළත පිළිතුරු දෙමු.""",
        # Tamil: needs review by a native speaker.
        "title_ta": "தனியுரிமை அறிவிப்பு",
        "body_ta": """2022 ஆம் ஆண்டின் 9 ஆம் இலக்க தனிப்பட்ட தரவுப் பாதுகாப்புச் சட்டத்தின் கீழ் \
நாங்கள் சேகரிக்கும் தனிப்பட்ட தரவு, அதற்கான காரணம் மற்றும் உங்கள் உரிமைகளை இந்த அறிவிப்பு \
விளக்குகிறது.

## நாங்கள் சேகரிப்பவை
- உங்கள் பெயர், மின்னஞ்சல் முகவரி மற்றும் கைபேசி எண்.
- நீங்கள் தரும் விநியோக முகவரிகள்.
- உங்கள் ஆர்டர்கள், கொடுப்பனவுகள் (உங்கள் அட்டை எண் ஒருபோதும் இல்லை: அட்டைகளை PayHere \
கையாளுகிறது) மற்றும் நீங்கள் அனுப்பும் செய்திகள்.
- உங்கள் மொழி மற்றும் SMS, சலுகைகள் பற்றிய உங்கள் தேர்வுகள்.

## ஏன்
- உங்கள் ஆர்டர்களை விநியோகிக்க, பணம் பெற மற்றும் மின்னஞ்சல், SMS மூலம் அறிவிப்புகளை அனுப்ப.
- உங்கள் கேள்விகளுக்குப் பதிலளிக்க மற்றும் திருப்பி அனுப்புதல்களைக் கையாள.
- சட்டம் கோரும் கணக்கு மற்றும் வரிப் பதிவுகளை வைத்திருக்க.
- நீங்கள் கேட்டால் மட்டுமே சலுகைகளை அனுப்ப.

நாங்கள் உங்கள் தரவை விற்பதில்லை. உங்கள் ஆர்டரை விநியோகிக்க உதவுபவர்களுடன் (கூரியர்கள், \
கொடுப்பனவு வழங்குநர், SMS மற்றும் மின்னஞ்சல் சேவைகள்) அவர்களுக்குத் தேவையானதை மட்டுமே \
பகிர்கிறோம். உங்கள் விவரங்கள் மறைகுறியாக்கப்பட்டு சேமிக்கப்படுகின்றன.

## உங்கள் உரிமைகள்
- உங்கள் தரவைப் பார்த்து அதன் நகலைப் பதிவிறக்குதல்.
- தவறான விவரங்களைத் திருத்துதல்.
- சட்டம் எங்களை வைத்திருக்கக் கோரும் ஆர்டர் பதிவுகள் தவிர, உங்கள் கணக்கையும் தரவையும் \
அழித்தல்.
- எந்நேரத்திலும் சலுகைகளுக்கான உங்கள் ஒப்புதலைத் திரும்பப் பெறுதல்.
- இலங்கை தரவுப் பாதுகாப்பு அதிகாரசபையிடம் முறையிடுதல்.

## எப்படிக் கேட்பது
உள்நுழைந்து, உங்கள் தரவைப் பதிவிறக்க அல்லது அழிக்க [எனது தரவு](/account/privacy) \
திறக்கவும். அல்லது எங்களுக்கு எழுதுங்கள் ([எங்களைத் தொடர்புகொள்ள](/contact) பார்க்கவும்): \
21 நாட்களுக்குள் பதிலளிப்போம்.""",
    },
    "terms": {
        "title_en": "Terms",
        "body_en": """These terms apply to every order placed with us, on this site or by phone.

## Prices and payment
- Prices are in Sri Lankan rupees and include taxes. The delivery fee is shown before you pay.
- Pay by card or online banking through PayHere, by bank transfer, or in cash on delivery \
where it is offered.
- An order paid by bank transfer is cancelled if the money does not arrive in time.

## Your order
- We confirm your order by email and SMS. If an item turns out to be out of stock, we tell \
you and refund it.
- You may cancel an order until it is sent, from its page.
- Home services happen at the time you booked; tell us a day before to change it.

## Returns
See [Delivery and returns](/delivery-and-returns).

## Your data
See our [Privacy notice](/privacy).

These terms are governed by the laws of Sri Lanka.""",
        # Sinhala: needs review by a native speaker.
        "title_si": "නියමයන්",
        "body_si": """මෙම නියමයන් මෙම වෙබ් අඩවියෙන් හෝ දුරකථනයෙන් අප වෙත කරන සෑම ඇණවුමකටම අදාළ වේ.

## මිල සහ ගෙවීම
- මිල ශ්‍රී ලංකා රුපියල් වලින් වන අතර බදු ඇතුළත් වේ. බෙදා හැරීමේ ගාස්තුව ඔබ ගෙවීමට පෙර පෙන්වයි.
- PayHere හරහා කාඩ්පතෙන් හෝ මාර්ගගත බැංකුකරණයෙන්, බැංකු හුවමාරුවෙන්, හෝ ලබා දෙන තැන්වල \
භාණ්ඩ ලැබුණු විට මුදලින් ගෙවන්න.
- බැංකු හුවමාරුවෙන් ගෙවන ඇණවුමක මුදල් නියමිත වේලාවට නොලැබුණහොත් එය අවලංගු වේ.

## ඔබේ ඇණවුම
- අපි ඔබේ ඇණවුම ඊමේල් සහ SMS මගින් තහවුරු කරමු. භාණ්ඩයක් තොගයේ නොමැති නම්, අපි ඔබට දන්වා \
මුදල් ආපසු දෙමු.
- ඇණවුමක් යැවීමට පෙර එහි පිටුවෙන් අවලංගු කළ හැක.
- නිවාස සේවා ඔබ වෙන් කළ වේලාවට සිදු වේ; වෙනස් කිරීමට දිනකට පෙර අපට දන්වන්න.

## ආපසු දීම
[බෙදා හැරීම සහ ආපසු දීම](/delivery-and-returns) බලන්න.

## ඔබේ දත්ත
අපගේ [පෞද්ගලිකත්ව දැන්වීම](/privacy) බලන්න.

මෙම නියමයන් ශ්‍රී ලංකාවේ නීතිවලට යටත් වේ.""",
        # Tamil: needs review by a native speaker.
        "title_ta": "விதிமுறைகள்",
        "body_ta": """இந்த இணையதளத்திலோ தொலைபேசியிலோ எங்களிடம் செய்யப்படும் ஒவ்வொரு ஆர்டருக்கும் \
இந்த விதிமுறைகள் பொருந்தும்.

## விலைகள் மற்றும் கொடுப்பனவு
- விலைகள் இலங்கை ரூபாயில், வரிகள் உள்ளடங்கலாக. விநியோகக் கட்டணம் நீங்கள் செலுத்தும் முன் \
காட்டப்படும்.
- PayHere மூலம் அட்டை அல்லது இணைய வங்கி, வங்கிப் பரிமாற்றம், அல்லது வழங்கப்படும் இடங்களில் \
பணம் செலுத்தி பெறுதல் மூலம் செலுத்தலாம்.
- வங்கிப் பரிமாற்றம் மூலம் செலுத்தும் ஆர்டருக்கான பணம் உரிய நேரத்தில் வராவிட்டால் அது \
ரத்து செய்யப்படும்.

## உங்கள் ஆர்டர்
- உங்கள் ஆர்டரை மின்னஞ்சல் மற்றும் SMS மூலம் உறுதிப்படுத்துவோம். ஒரு பொருள் கையிருப்பில் \
இல்லையெனில், உங்களுக்குத் தெரிவித்து பணத்தைத் திருப்பித் தருவோம்.
- ஆர்டர் அனுப்பப்படும் வரை அதன் பக்கத்திலிருந்து ரத்து செய்யலாம்.
- வீட்டுச் சேவைகள் நீங்கள் முன்பதிவு செய்த நேரத்தில் நடைபெறும்; மாற்ற ஒரு நாள் முன்பே \
தெரிவியுங்கள்.

## திருப்பி அனுப்புதல்
[விநியோகம் மற்றும் திருப்பி அனுப்புதல்](/delivery-and-returns) பார்க்கவும்.

## உங்கள் தரவு
எங்கள் [தனியுரிமை அறிவிப்பு](/privacy) பார்க்கவும்.

இந்த விதிமுறைகள் இலங்கைச் சட்டங்களுக்கு உட்பட்டவை.""",
    },
}
# fmt: on

# The demo shop's details (app/demo.py saves them): its address and hours in three languages.
# Sinhala and Tamil: needs review by a native speaker.
DEMO_DETAILS = {
    "name": "Kade",
    "address_en": "No. 1, Galle Road, Colombo 03",
    "address_si": "අංක 1, ගාලු පාර, කොළඹ 03",
    "address_ta": "இல. 1, காலி வீதி, கொழும்பு 03",
    "hotline": "011 234 5678",
    "whatsapp": "077 123 4567",
    "email": "hello@kade.lk",
    "hours_en": "Every day, 8 am to 8 pm",
    "hours_si": "සෑම දිනකම, පෙ.ව. 8 සිට ප.ව. 8 දක්වා",
    "hours_ta": "ஒவ்வொரு நாளும், காலை 8 முதல் இரவு 8 வரை",
}

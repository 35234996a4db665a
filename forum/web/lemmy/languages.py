"""Lemmy's language ids, which apps send as `language_id` and show posts by.

Lemmy numbers languages in the order its first language migration inserted them
(LemmyNet/lemmy, migrations/2022-06-21-123144_language-tags/up.sql): 0 is undetermined,
then ISO 639-1 codes, 184 in all, the same on every Lemmy server; so the table is fixed
data here. Kindred keeps a post's language as a BCP 47 tag (Post.language): an id stands
for its primary subtag ("es" for "es-MX").
"""

from __future__ import annotations

from typing import Any

from forum.i18n import _
from forum.services.languages import available
from forum.services.threads import MAX_ID
from forum.web.lemmy.errors import LemmyError
from forum.web.lemmy.inputs import Fields

UNDETERMINED = 0

# One language a line, in Lemmy's id order: its code, then its name as Lemmy gives it.
_TABLE = """\
und Undetermined
aa Afaraf
ab аҧсуа бызшәа
ae avesta
af Afrikaans
ak Akan
am አማርኛ
an aragonés
ar اَلْعَرَبِيَّةُ
as অসমীয়া
av авар мацӀ
ay aymar aru
az azərbaycan dili
ba башҡорт теле
be беларуская мова
bg български език
bi Bislama
bm bamanankan
bn বাংলা
bo བོད་ཡིག
br brezhoneg
bs bosanski jezik
ca Català
ce нохчийн мотт
ch Chamoru
co corsu
cr ᓀᐦᐃᔭᐍᐏᐣ
cs čeština
cu ѩзыкъ словѣньскъ
cv чӑваш чӗлхи
cy Cymraeg
da dansk
de Deutsch
dv ދިވެހި
dz རྫོང་ཁ
ee Eʋegbe
el Ελληνικά
en English
eo Esperanto
es Español
et eesti
eu euskara
fa فارسی
ff Fulfulde
fi suomi
fj vosa Vakaviti
fo føroyskt
fr Français
fy Frysk
ga Gaeilge
gd Gàidhlig
gl galego
gn Avañe'ẽ
gu ગુજરાતી
gv Gaelg
ha هَوُسَ
he עברית
hi हिन्दी
ho Hiri Motu
hr Hrvatski
ht Kreyòl ayisyen
hu magyar
hy Հայերեն
hz Otjiherero
ia Interlingua
id Bahasa Indonesia
ie Interlingue
ig Asụsụ Igbo
ii ꆈꌠ꒿ Nuosuhxop
ik Iñupiaq
io Ido
is Íslenska
it Italiano
iu ᐃᓄᒃᑎᑐᑦ
ja 日本語
jv basa Jawa
ka ქართული
kg Kikongo
ki Gĩkũyũ
kj Kuanyama
kk қазақ тілі
kl kalaallisut
km ខេមរភាសា
kn ಕನ್ನಡ
ko 한국어
kr Kanuri
ks कश्मीरी
ku Kurdî
kv коми кыв
kw Kernewek
ky Кыргызча
la latine
lb Lëtzebuergesch
lg Luganda
li Limburgs
ln Lingála
lo ພາສາລາວ
lt lietuvių kalba
lu Kiluba
lv latviešu valoda
mg fiteny malagasy
mh Kajin M̧ajeļ
mi te reo Māori
mk македонски јазик
ml മലയാളം
mn Монгол хэл
mr मराठी
ms Bahasa Melayu
mt Malti
my ဗမာစာ
na Dorerin Naoero
nb Norsk bokmål
nd isiNdebele
ne नेपाली
ng Owambo
nl Nederlands
nn Norsk nynorsk
no Norsk
nr isiNdebele
nv Diné bizaad
ny chiCheŵa
oc occitan
oj ᐊᓂᔑᓈᐯᒧᐎᓐ
om Afaan Oromoo
or ଓଡ଼ିଆ
os ирон æвзаг
pa ਪੰਜਾਬੀ
pi पाऴि
pl Polski
ps پښتو
pt Português
qu Runa Simi
rm rumantsch grischun
rn Ikirundi
ro Română
ru Русский
rw Ikinyarwanda
sa संस्कृतम्
sc sardu
sd सिन्धी
se Davvisámegiella
sg yângâ tî sängö
si සිංහල
sk slovenčina
sl slovenščina
sm gagana fa'a Samoa
sn chiShona
so Soomaaliga
sq Shqip
sr српски језик
ss SiSwati
st Sesotho
su Basa Sunda
sv Svenska
sw Kiswahili
ta தமிழ்
te తెలుగు
tg тоҷикӣ
th ไทย
ti ትግርኛ
tk Türkmençe
tl Wikang Tagalog
tn Setswana
to faka Tonga
tr Türkçe
ts Xitsonga
tt татар теле
tw Twi
ty Reo Tahiti
ug ئۇيغۇرچە
uk Українська
ur اردو
uz Ўзбек
ve Tshivenḓa
vi Tiếng Việt
vo Volapük
wa walon
wo Wollof
xh isiXhosa
yi ייִדיש
yo Yorùbá
za Saɯ cueŋƅ
zh 中文
zu isiZulu
"""  # noqa: RUF001 (the languages' own names, written in their own letters)
LANGUAGES: tuple[tuple[str, str], ...] = tuple(
    (code, name) for code, _, name in (line.partition(" ") for line in _TABLE.splitlines())
)
_IDS = {code: number for number, (code, _name) in enumerate(LANGUAGES)}


def language_id(tag: str) -> int:
    """Lemmy's id for a BCP 47 tag (undetermined for "" and for what Lemmy lacks)."""
    primary = tag.split("-", 1)[0].split("_", 1)[0].lower()
    return _IDS.get(primary, UNDETERMINED) if primary != "und" else UNDETERMINED


def language_code(number: int) -> str | None:
    """The code of Lemmy's language `number` ("" for undetermined); None for no such id."""
    if number == UNDETERMINED:
        return ""
    return LANGUAGES[number][0] if 0 < number < len(LANGUAGES) else None


def all_languages() -> list[dict[str, Any]]:
    return [
        {"id": number, "code": code, "name": name} for number, (code, name) in enumerate(LANGUAGES)
    ]


def offered() -> dict[int, str]:
    """Lemmy's ids of the languages Kindred's members may post in, with Kindred's tags
    (the catalogs it ships), undetermined first as Lemmy has it."""
    found = {language_id(tag): tag for tag in available()}
    found.pop(UNDETERMINED, None)
    return {UNDETERMINED: "", **dict(sorted(found.items()))}


def chosen_language(fields: Fields) -> str | None:
    """The language an app chose for a post (`language_id`) as Kindred's tag: "" for
    undetermined (the member's interface language, as on the web), None when it sent
    none (an edit leaves the language as it was)."""
    number = fields.number("language_id", low=0, high=MAX_ID)
    if number is None:
        return None
    choices = offered()
    if number not in choices:
        names = ", ".join(f"{tag} ({key})" for key, tag in choices.items() if tag)
        raise LemmyError(
            "language_not_allowed",
            _("Posts here can be in these languages only: %(languages)s.", languages=names),
        )
    return choices[number]

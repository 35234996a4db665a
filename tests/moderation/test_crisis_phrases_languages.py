"""The default crisis phrase sets for Spanish and German: what they catch (with and without
accents and umlauts), the everyday idioms they leave alone, which sets a post is checked
with, and both paths a post takes (written here, and arriving from another server)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from federation.models import InboxItem
from forum.models import Post, Thread
from moderation.checks import cache, evaluate
from moderation.models import ReviewItem
from moderation.rules import (
    RuleAction,
    RuleSet,
    RuleSpec,
    crisis_languages,
    crisis_set_key,
)
from moderation.rules.crisis import phrase_set, plain_spellings
from tests.federation.peer import Peer, running_peer
from tests.federation.test_remote_content_checks import Scene, open_scene
from tests.helpers import join, make_board, register, start_thread

NO_RULES = RuleSet.compile([])

SPANISH = [
    "Me quiero morir.",
    "quiero morirme, ya no aguanto",
    "Ya no quiero vivir más.",
    "ya no quiero vivir mas",
    "Pienso en el suicidio todos los días",
    "tengo pensamientos suicidas otra vez",
    "me voy a suicidar",
    "Voy a quitarme la vida esta noche.",
    "No tengo razones para vivir",
    "nadie me extrañaría si me fuera",
    "nadie me extranaria",
    "Estarían mejor sin mí",
    "estarian mejor sin mi",
    "Me autolesiono desde hace años",
    "volví a cortarme los brazos",
    "volvi a cortarme",
    "quiero hacerme daño",
    "quiero hacerme dano",
    "Estoy cansada de vivir",
    "me tomé todas las pastillas",
    "ME QUIERO MATAR",
    "Quiero acabar con todo. El dolor no se va.",
]

SPANISH_EVERYDAY = [
    "me muero de risa",
    "Me muero de hambre, ¿pedimos pizza?",
    "me mata el calor",
    "este examen me va a matar",
    "mi madre va a matarme cuando lo vea",
    "me quiero morir de la vergüenza",
    "quiero morirme de verguenza",
    "me voy a matar de risa con este vídeo",
    "estoy muerto de cansancio",
    "quiero cortarme el pelo",
    "me tiré en el sofá toda la tarde",
    "no puedo más con este calor",
    "Escuadrón Suicida es una película divertida",
    "fue un suicidio político",
    "quiero acabar con todo el trabajo hoy",
]

GERMAN = [
    "Ich will sterben.",
    "ich will einfach nur sterben",
    "Ich möchte nicht mehr leben",
    "ich moechte nicht mehr leben",
    "ich mochte nicht mehr leben",  # no umlaut on the keyboard
    "Ich habe Suizidgedanken",
    "Ich denke ständig an Selbstmord",
    "ich bin so lebensmüde",
    "ich bin lebensmuede",
    "Ich will mich umbringen",
    "Ich wünschte, ich wäre tot",
    "ich wuenschte ich waere tot",
    "Alle wären ohne mich besser dran",
    "Ich ritze mich wieder",
    "ich habe mich gestern wieder geritzt",
    "SVV ist wieder schlimmer geworden",
    "Ich will mir das Leben nehmen",
    "Niemand würde mich vermissen",
    "ich halte es nicht mehr aus",
    "Ich bin nur eine Last für alle",
]

GERMAN_EVERYDAY = [
    "ich lach mich tot",
    "Ich hab mich totgelacht",
    "Mein Chef bringt mich noch um mit seinen Meetings, haha",
    "das bringt mich noch um",
    "Meine Mutter wird mich umbringen, wenn sie das sieht",
    "Der Totschläger im Film war gruselig gespielt",
    "Bist du lebensmüde? Fahr langsamer!",
    "Ich sterbe vor Hunger",
    "Das war politischer Selbstmord",
    "Ich kann nicht mehr vor Lachen",
    "Das Training hat mich fast umgebracht",
    "Dreck in den Fugen und Ritzen",
    "Die neuen Schuhe werden mir weh tun",
    "Die Hitze ist todlangweilig",
]


@pytest.mark.parametrize("language", ["es", "es-MX", ""])
@pytest.mark.parametrize("text", SPANISH)
def test_spanish_set_catches_people_at_risk(text: str, language: str) -> None:
    verdict = evaluate(NO_RULES, text, language)
    assert verdict.crisis and verdict.action is RuleAction.crisis
    assert verdict.text == text  # never changed


@pytest.mark.parametrize("language", ["es", ""])
@pytest.mark.parametrize("text", SPANISH_EVERYDAY)
def test_spanish_set_ignores_everyday_idioms(text: str, language: str) -> None:
    assert not evaluate(NO_RULES, text, language).crisis


@pytest.mark.parametrize("language", ["de", "de-AT", ""])
@pytest.mark.parametrize("text", GERMAN)
def test_german_set_catches_people_at_risk(text: str, language: str) -> None:
    verdict = evaluate(NO_RULES, text, language)
    assert verdict.crisis and verdict.action is RuleAction.crisis
    assert verdict.text == text


@pytest.mark.parametrize("language", ["de", ""])
@pytest.mark.parametrize("text", GERMAN_EVERYDAY)
def test_german_set_ignores_everyday_idioms(text: str, language: str) -> None:
    assert not evaluate(NO_RULES, text, language).crisis


@pytest.mark.parametrize(
    "text", ["Suicide Squad was a fun movie", "Die Hard is my favourite film", "the die is cast"]
)
def test_every_set_together_still_ignores_english_everyday_speech(text: str) -> None:
    assert not evaluate(NO_RULES, text, "").crisis


def test_every_post_is_checked_with_every_set_whatever_its_language() -> None:
    # A post's language is often only the page's: a Spanish speaker on an English site,
    # or someone mixing languages, must be heard all the same.
    assert evaluate(NO_RULES, "I want to die. Quiero morir.", "es").crisis
    assert evaluate(NO_RULES, "honestly i just wanna die", "de").crisis
    assert evaluate(NO_RULES, "Ich will sterben", "es").crisis
    assert evaluate(NO_RULES, "me quiero morir", "de").crisis
    assert evaluate(NO_RULES, "me quiero morir", "en").crisis
    assert evaluate(NO_RULES, "me quiero morir", "de-CH").crisis


@pytest.mark.parametrize("language", ["", "fr", "pt-BR", "ar"])
def test_an_unknown_language_or_one_without_a_set_is_checked_with_every_set(
    language: str,
) -> None:
    assert crisis_set_key(language) == ""
    for text in ("Ich will sterben", "me quiero morir", "I want to die"):
        assert evaluate(NO_RULES, text, language).crisis


def test_language_codes_are_read_by_their_primary_subtag() -> None:
    assert {"en", "es", "de"} <= set(crisis_languages())
    assert [crisis_set_key(code) for code in ("ES", "es_AR", "de-AT", " de ", "en-GB")] == [
        "es",
        "es",
        "de",
        "de",
        "en",
    ]


def test_accents_and_umlauts_also_match_written_plain() -> None:
    assert set(plain_spellings("extrañaría")) == {
        "extrañaría",
        "extrañaria",
        "extranaría",
        "extranaria",
    }
    assert plain_spellings("müde") == ["müde", "muede", "mude"]
    assert plain_spellings("want to die") == ["want to die"]


def test_admin_rules_still_win_over_crisis_phrases_and_keep_their_message() -> None:
    rules = RuleSet.compile(
        [RuleSpec(id=1, pattern="pastillas", action=RuleAction.hold, message="Espera.")]
    )
    verdict = evaluate(rules, "me tomé todas las pastillas", "es")
    assert verdict.held and verdict.crisis and verdict.message == "Espera."


def test_shipped_sets_do_not_repeat_english_phrases_without_their_exceptions() -> None:
    """A Spanish or German phrase spelled like an English one (say "suicidé" written plain)
    would match without the English exceptions ("suicide squad") and undo them."""
    english = {rule.pattern for rule in phrase_set("en")}
    others = {rule.pattern for code in ("es", "de") for rule in phrase_set(code)}
    assert others and not others & english


# Through the real paths, with the post's language unknown (every set), as today


@pytest.fixture
async def member(client: httpx.AsyncClient, db: None) -> httpx.AsyncClient:
    cache.forget()
    await make_board("apoyo")
    await register(client, "helecho")
    await join(client, "apoyo")
    return client


@pytest.mark.parametrize("text", ["Ya no quiero vivir mas, me quiero matar", "Ich will sterben."])
async def test_a_local_post_in_crisis_is_published_queued_first_and_shown_help(
    member: httpx.AsyncClient, text: str
) -> None:
    response = await start_thread(member, "apoyo", "Esta noche", text)
    assert response.status_code == 303
    assert response.headers["location"].endswith("?crisis=1")
    thread = await Thread.get(title="Esta noche")
    post = await Post.get(thread_id=thread.id, seq=1)
    assert thread.state == "visible" and post.crisis and post.body_source == text
    item = await ReviewItem.get()
    assert item.priority == 0 and item.kind == "flagged"


@pytest.mark.parametrize(
    "text", ["Este examen me va a matar, me muero de risa", "Ich lach mich tot"]
)
async def test_a_local_post_with_an_idiom_is_not_a_crisis(
    member: httpx.AsyncClient, text: str
) -> None:
    response = await start_thread(member, "apoyo", "Examen", text)
    assert response.status_code == 303 and "crisis" not in response.headers["location"]
    assert await ReviewItem.all().count() == 0


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    async with running_peer() as p:
        yield p


@pytest.fixture
async def scene(
    app: object, client: httpx.AsyncClient, other_client: httpx.AsyncClient, peer: Peer, db: None
) -> Scene:
    return await open_scene(app, client, other_client, peer, "Hola", "Primero")


async def test_a_remote_spanish_post_in_crisis_stays_up_and_is_queued_first(
    scene: Scene,
) -> None:
    obj = scene.note("<p>Nadie me extrañaria. <b>Quiero morirme</b>.</p>")
    item: InboxItem = await scene.deliver(scene.create(obj))
    assert item.state == "processed"
    post = await Post.get(ap_id=obj["id"])
    assert post.crisis and post.state == "visible"
    assert await scene.shown("Quiero morirme")
    queued = await ReviewItem.get()
    assert (queued.post_id, queued.priority) == (post.id, 0)


async def test_a_remote_spanish_idiom_is_not_a_crisis(scene: Scene) -> None:
    obj = scene.note("<p>Me mata el calor y me muero de risa con vosotros</p>")
    assert (await scene.deliver(scene.create(obj))).state == "processed"
    post = await Post.get(ap_id=obj["id"])
    assert not post.crisis
    assert await ReviewItem.all().count() == 0

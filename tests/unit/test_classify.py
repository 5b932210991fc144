"""Classification of customers' messages: kind, language, urgency, topics, personal data,
each with the cues that decided it."""

from __future__ import annotations

import pytest

from inbox.domain.mention import Direction
from inbox.domain.thread import Priority, ThreadKind
from routing.classify import Classifier
from routing.cues import fold, tokens
from routing.lexicon import LexiconExtension
from tests.factories import mention

CLASSIFIER = Classifier()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("@Fibrea no internet since yesterday morning, nobody answers the phone", "complaint"),
        ("@Fibrea WHY IS MY CONNECTION DROPPING EVERY EVENING", "complaint"),
        ("lovely, my bag is lost again and nobody answers. thanks @AirNord 👏", "complaint"),
        ("@Fibrea if my router breaks while abroad, do you ship a new one?", "question"),
        ("@Fibrea what are the opening hours of the Leeds shop?", "question"),
        ("@AirNord not bad at all, boarding took ten minutes", "praise"),
        ("@Fibrea thank you so much for the quick fix yesterday", "praise"),
        ("Claim your free voucher now!! click here https://t.co/zz", "other"),
        ("@Fibrea", "other"),
        ("@Fibrea plus de connexion depuis ce matin, c'est lamentable", "complaint"),
        ("@TrainsDuSud encore un retard de 40 minutes, et aucune information en gare", "complaint"),
        ("@TrainsDuSud pas terrible l'appli depuis la mise à jour", "complaint"),
        ("@Fibrea bonjour, est-ce que la fibre arrive bientôt rue des Lilas ?", "question"),
        ("@Fibrea si ma box tombe en panne pendant les vacances, vous la remplacez ?", "question"),
        ("@TrainsDuSud merci pour la rapidité du remboursement, au top", "praise"),
        ("Jeu concours : tentez votre chance pour gagner un vélo !", "other"),
    ],
)
def test_kinds(text: str, kind: str) -> None:
    assert CLASSIFIER.classify(text).kind.value == kind


def test_every_decision_names_its_cues() -> None:
    result = CLASSIFIER.classify("@Fibrea toujours pas de connexion, c'est inadmissible")
    kind_reason = next(r for r in result.reasons if r.decision == "kind")
    assert "toujours pas" in kind_reason.cue
    assert "inadmissible" in kind_reason.cue
    assert kind_reason.effect.startswith("complaint")
    assert next(r for r in result.reasons if r.decision == "language").cue == "fr"


def test_sarcastic_thanks_are_reported_as_outweighed() -> None:
    result = CLASSIFIER.classify("thanks @AirNord, cancelled again, third time this month")
    assert result.kind is ThreadKind.COMPLAINT
    assert any(r.effect == "thanks outweighed by a grievance" for r in result.reasons)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("@Fibrea la connexion est coupée depuis trois jours dans tout le quartier", "fr"),
        ("@Fibrea the connection has been down for three days in the whole street", "en"),
        ("merci !", "fr"),
        ("ok", None),
    ],
)
def test_languages(text: str, language: str | None) -> None:
    assert CLASSIFIER.classify(text).language == language


def test_the_networks_language_tag_is_trusted_unless_it_is_not_a_language() -> None:
    assert CLASSIFIER.classify("ok", language="fr").language == "fr"
    assert CLASSIFIER.classify("ok", language="und").language is None


@pytest.mark.parametrize(
    ("text", "priority", "why"),
    [
        ("@Fibrea my router is giving off smoke and a burning smell", Priority.URGENT, "safety"),
        ("@Fibrea is the network down in Lyon? no internet at all", Priority.HIGH, "outage"),
        ("@Fibrea fed up, I'm cancelling my contract", Priority.HIGH, "threat to leave"),
        ("@Fibrea je vais saisir le médiateur, c'est inadmissible", Priority.HIGH, "legal"),
        ("@Fibrea still waiting for my refund", Priority.NORMAL, None),
        ("@Fibrea thanks!", Priority.LOW, None),
    ],
)
def test_urgency(text: str, priority: Priority, why: str | None) -> None:
    result = CLASSIFIER.classify(text)
    assert result.priority is priority
    if why is not None:
        assert any(why in r.effect for r in result.reasons if r.decision == "urgency")


def test_repeated_messages_and_a_large_audience_raise_urgency() -> None:
    text = "@Fibrea still no internet"
    assert CLASSIFIER.classify(text, earlier_unanswered=2).priority is Priority.HIGH
    assert CLASSIFIER.classify(text, followers=50_000).priority is Priority.HIGH
    assert CLASSIFIER.classify(text, followers=500_000).priority is Priority.URGENT
    assert CLASSIFIER.classify("@Fibrea thanks", followers=500_000).priority is Priority.HIGH


def test_topics() -> None:
    result = CLASSIFIER.classify("@Fibrea charged twice on my last bill and the wifi is slow")
    assert result.topics[0] == "billing"
    assert "network" in result.topics


def test_personal_data_is_flagged_masked_and_a_private_message_suggested() -> None:
    result = CLASSIFIER.classify(
        "@Fibrea my email is jane.doe@example.com, call me on 07700 900123, "
        "account number 88123456, card 4539 1488 0343 6467"
    )
    kinds = [p.kind for p in result.personal_data]
    assert kinds == ["email", "payment_card", "phone", "reference"]
    assert result.suggest_private_message
    shown = " ".join(r.cue for r in result.reasons)
    for secret in ("jane.doe", "900123", "88123456", "4539 1488"):
        assert secret not in shown


@pytest.mark.parametrize(
    "text",
    [
        "@Fibrea mon numéro client est 55123456",
        "@TrainsDuSud appelez-moi au 06 12 34 56 78",
        "@Fibrea +33 6 12 34 56 78",
        "@Banque mon IBAN FR76 3000 6000 0112 3456 7890 189",
    ],
)
def test_french_personal_data(text: str) -> None:
    assert CLASSIFIER.classify(text).personal_data


@pytest.mark.parametrize(
    "text",
    ["@Fibrea 5G down since 2 days", "@AirNord flight AF1234 delayed 3 hours", "it's 2024"],
)
def test_ordinary_numbers_are_not_personal_data(text: str) -> None:
    assert not CLASSIFIER.classify(text).personal_data


def test_a_workspace_extends_the_lexicons_and_topics() -> None:
    extension = LexiconExtension(
        cues={"fr": {"complaint": ["c'est la cata"]}},
        topics={"roaming": ["itinérance", "roaming"]},
    )
    custom = Classifier(extension)
    result = custom.classify("@Fibrea c'est la cata avec l'itinérance", language="fr")
    assert result.kind is ThreadKind.COMPLAINT
    assert result.topics == ("roaming",)
    assert CLASSIFIER.classify("@Fibrea c'est la cata", language="fr").kind is ThreadKind.OTHER


def test_a_bad_extension_is_refused_with_its_problem() -> None:
    with pytest.raises(ValueError, match="unknown groups"):
        LexiconExtension.model_validate({"cues": {"en": {"anger": ["grr"]}}})
    with pytest.raises(ValueError, match="no lexicon for 'de'"):
        LexiconExtension.model_validate({"cues": {"de": {"complaint": ["kaputt"]}}})


def test_the_ingestion_port_classifies_inbound_mentions_only() -> None:
    inbound = mention("1", text="@Fibrea no internet again, useless")
    outbound = mention("2", text="@client sorry, useless of us", direction=Direction.OUTBOUND)
    first, second = CLASSIFIER.classify_many([inbound, outbound])
    assert first.kind is ThreadKind.COMPLAINT
    assert second.kind is ThreadKind.UNCLASSIFIED


def test_folding_matches_the_ways_people_type() -> None:
    assert tokens(fold("Ça NE marche PAS, j’en ai marre !!")) == [
        "ca", "ne", "marche", "pas", ",", "j'", "en", "ai", "marre", "!", "!",
    ]  # fmt: skip
    assert tokens(fold("@Brand it doesnt work https://t.co/x")) == ["it", "doesn't", "work"]


def test_in_a_batch_a_customer_writing_again_unanswered_and_a_large_audience_raise_urgency() -> (
    None
):
    from inbox.domain.mention import Author

    again = [
        mention(str(n), minute=n, conversation="c", text="@Fibrea still no reply") for n in range(3)
    ]
    answered = mention(
        "a", author="brand", minute=1, conversation="c", direction=Direction.OUTBOUND
    )
    famous = mention("f", conversation="f", text="@Fibrea still waiting for my refund")
    famous = famous.model_copy(
        update={"author": Author(external_id="9", handle="star", followers=250_000)}
    )
    first, second, third = CLASSIFIER.classify_many(again)
    assert [c.priority for c in (first, second, third)] == [
        Priority.NORMAL, Priority.NORMAL, Priority.HIGH,
    ]  # fmt: skip
    *_, after_answer = CLASSIFIER.classify_many([again[0], answered, again[1], again[2]])
    assert after_answer.priority is Priority.NORMAL  # the answer reset the count
    (loud,) = CLASSIFIER.classify_many([famous])
    assert loud.priority is Priority.URGENT

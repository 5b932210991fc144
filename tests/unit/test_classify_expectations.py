"""What the classifier must make of messages a new user tried in the demo and saw misread.

The trained model reads the kinds; the rules that stay rules (outage words, threats to leave,
personal data, topics) read the rest.
"""

from __future__ import annotations

import pytest

from inbox.domain.thread import Priority, ThreadKind
from routing.classify import Classifier

CLASSIFIER = Classifier()
LINE_DEAD = "your status page has been green all day but my line is dead"
LOSING_CUSTOMERS = "4 hours without internet. I am losing customers. Switching provider."
CUSTOMER_NUMBER = "mon numéro client est le 4412 3390, merci de regarder"


def test_a_dead_line_under_a_green_status_page_is_a_complaint() -> None:
    assert CLASSIFIER.classify(LINE_DEAD, language="en").kind is ThreadKind.COMPLAINT


def test_a_dead_line_is_an_outage_and_raises_urgency() -> None:
    assert CLASSIFIER.classify(LINE_DEAD, language="en").priority is Priority.HIGH


def test_hours_without_internet_and_lost_business_is_a_complaint() -> None:
    assert CLASSIFIER.classify(LOSING_CUSTOMERS, language="en").kind is ThreadKind.COMPLAINT


def test_switching_provider_is_a_threat_to_leave() -> None:
    result = CLASSIFIER.classify(LOSING_CUSTOMERS, language="en")
    assert "threat to leave" in [r.effect for r in result.reasons]
    assert result.priority is Priority.HIGH


def test_a_customer_number_with_a_request_to_look_is_a_question_not_praise() -> None:
    assert CLASSIFIER.classify(CUSTOMER_NUMBER, language="fr").kind is ThreadKind.QUESTION


def test_a_customer_number_given_in_public_is_personal_data() -> None:
    assert CLASSIFIER.classify(CUSTOMER_NUMBER, language="fr").personal_data


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "@TrattoriaMia can I move my booking for tonight from four to six people?",
            id="a customer's table booking",
        ),
        pytest.param(
            "Thanks for booking with Trattoria Mia! Your table for two is confirmed for 8pm.",
            id="the restaurant's own message",
        ),
    ],
)
def test_a_restaurant_booking_is_not_travel(text: str) -> None:
    assert "travel" not in CLASSIFIER.classify(text, language="en").topics

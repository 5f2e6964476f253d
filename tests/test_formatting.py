"""How amounts, rates and numbers read, in one place for services, messages and pages."""

import pytest
from django.template import engines

from jeonju_prepay import formatting


@pytest.mark.parametrize(
    ("value", "shown"),
    [(12000, "12,000원"), (0, "0원"), (-1500, "-1,500원"), ("3000", "3,000원"), (None, "-")],
)
def test_won(value, shown):
    assert formatting.won(value) == shown


@pytest.mark.parametrize(
    ("bp", "shown"),
    [(1000, "10%"), (250, "2.5%"), (5, "0.05%"), (10000, "100%"), (-250, "-2.5%"), ("x", "-")],
)
def test_bp_percent(bp, shown):
    assert formatting.bp_percent(bp) == shown


def test_num_and_brn():
    assert formatting.num(50000) == "50,000"
    assert formatting.num(None) == "-"
    assert formatting.brn("4028100073") == "402-81-00073"
    assert formatting.brn("12-3") == "12-3"


def test_the_template_filters_are_the_same_functions():
    template = engines["django"].from_string("{{ a|won }} {{ r|bp_percent }}")
    html = template.render({"a": 12000, "r": 250})
    assert html == "12,000원 2.5%"

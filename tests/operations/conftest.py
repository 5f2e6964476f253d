import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the run's messages in their source language (the pages are Korean
    by default; tests/test_translations.py checks the Korean catalogue)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

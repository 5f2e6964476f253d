from tests.campaigns.conftest import campaign, shop  # noqa: F401 - a shop in a running campaign

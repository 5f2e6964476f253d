"""The dashboard's tables are a cache of the ledger, refreshed by the nightly run: not edited."""

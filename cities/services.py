"""Creating and configuring cities (tenants). Called by the operator admin and commands."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils.translation import gettext as _

from .exceptions import CityError
from .models import City, Domain

SCHEMA_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
RESERVED_SCHEMAS = {"public", "information_schema", "pg_catalog", "pg_toast"}


def city_create(*, schema_name: str, name: str, domain: str, verbosity: int = 0) -> City:
    """Create a city, its schema (migrated) and its primary domain.

    Raises ``CityError`` for a bad or taken schema name or domain. Migrating the new schema runs
    DDL, so this is not wrapped in one transaction with the row inserts; a failure leaves no
    Domain row and the schema can be created again.
    """
    schema_name = schema_name.strip().lower()
    domain = domain.strip().lower()
    if not SCHEMA_NAME_RE.match(schema_name) or schema_name in RESERVED_SCHEMAS:
        raise CityError(
            _("A schema name is 2 to 63 lower-case letters, digits or _, starting with a letter.")
        )
    if not name.strip():
        raise CityError(_("A city needs a name."))
    if City.objects.filter(schema_name=schema_name).exists():
        raise CityError(
            _("A city with schema %(schema)s exists already.") % {"schema": schema_name}
        )
    if Domain.objects.filter(domain=domain).exists():
        raise CityError(_("The domain %(domain)s is taken.") % {"domain": domain})
    city = City(schema_name=schema_name, name=name.strip())
    city.save(verbosity=verbosity)
    with transaction.atomic():
        Domain.objects.create(domain=domain, tenant=city, is_primary=True)
    return city


def city_get_or_create(*, schema_name: str, name: str, domain: str) -> tuple[City, bool]:
    city = City.objects.filter(schema_name=schema_name).first()
    if city is not None:
        Domain.objects.get_or_create(domain=domain, defaults={"tenant": city, "is_primary": True})
        return city, False
    return city_create(schema_name=schema_name, name=name, domain=domain), True


def public_tenant_ensure(*, domain: str) -> City:
    """The public tenant routes the platform-operator host (e.g. ``localhost``)."""
    city = City.objects.filter(schema_name="public").first()
    if city is None:
        city = City(schema_name="public", name="Platform")
        city.save()
    Domain.objects.get_or_create(domain=domain, defaults={"tenant": city, "is_primary": True})
    return city

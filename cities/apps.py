from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _place_on_citus(sender, **kwargs):
    """After every migrate of a schema, on a Citus cluster: the public schema's tenant registry
    is replicated to every node, and a city's SQL functions plan each call (Citus cannot plan
    them generically) and run on the city's worker (``cities.scaleout``). Nothing happens on a
    single PostgreSQL."""
    from django.db import connection

    from . import scaleout

    if not scaleout.citus_active():
        return
    if connection.schema_name == "public":
        scaleout.public_tables_replicate()
    else:
        scaleout.city_functions_custom_plans(connection.schema_name)
        scaleout.city_functions_delegate(connection.schema_name)


class CitiesConfig(AppConfig):
    name = "cities"
    verbose_name = _("Cities")

    def ready(self):
        # Once per migrate of a schema (the signal is sent for every app: answer only ours).
        post_migrate.connect(_place_on_citus, sender=self, dispatch_uid="cities.place_on_citus")

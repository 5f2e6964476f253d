from django.core.management.base import BaseCommand, CommandError

from cities import scaleout
from cities.exceptions import CityError
from cities.services import city_create


class Command(BaseCommand):
    help = "Create a city: its schema (migrated) and its primary domain."

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True, help="schema name, e.g. jeonju")
        parser.add_argument("--name", required=True, help="display name, e.g. 전주시")
        parser.add_argument("--domain", required=True, help="host name, e.g. jeonju.localhost")

    def handle(self, *args, schema, name, domain, **options):
        try:
            city = city_create(
                schema_name=schema, name=name, domain=domain, verbosity=options["verbosity"] - 1
            )
        except CityError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"Created {city} at http://{domain}:8000/"))
        node = scaleout.city_node(city.schema_name)
        if node is not None:
            self.stdout.write(f"Its tables are on the Citus worker {node}.")

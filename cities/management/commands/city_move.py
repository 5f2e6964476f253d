from django.core.management.base import BaseCommand, CommandError

from cities import scaleout
from cities.exceptions import CityError


class Command(BaseCommand):
    help = (
        "Move a city to another Citus worker while it serves: its tables are copied and kept "
        "up to date by logical replication, then switched over in a pause of about a second "
        "during which its writes wait (docs/scale-out.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True)
        parser.add_argument("--to", required=True, help="the target worker, host:port")
        parser.add_argument(
            "--mode",
            default="auto",
            choices=["auto", "force_logical", "block_writes"],
            help="Citus's shard transfer mode (block_writes: the city's writes wait for the "
            "whole copy)",
        )

    def handle(self, *args, schema, to, mode, **options):
        try:
            target = scaleout.Node.parse(to)
            before = scaleout.city_node(schema)
            scaleout.city_move(schema_name=schema, to=target, mode=mode)
        except CityError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(f"[{schema}] {before} -> {target}"))

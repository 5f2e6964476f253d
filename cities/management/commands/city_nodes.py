from django.core.management.base import BaseCommand

from cities import scaleout


class Command(BaseCommand):
    help = "Where each city lives on a Citus cluster: its worker, or the coordinator (local)."

    def handle(self, *args, **options):
        if not scaleout.citus_active():
            self.stdout.write("No Citus cluster: every city is on this PostgreSQL.")
            return
        workers = scaleout.workers()
        self.stdout.write("workers: " + (", ".join(str(w) for w in workers) or "none"))
        for schema, node in sorted(scaleout.cities_by_node().items()):
            self.stdout.write(f"  {schema:<24} {node or 'coordinator (local schema)'}")

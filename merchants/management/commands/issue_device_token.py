from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from cities.models import City
from merchants.models import Shop
from merchants.services import device_register


class Command(BaseCommand):
    help = "Print a new counter-device API token for a shop (for setup scripts and benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--schema", required=True)
        parser.add_argument("--shop-id", type=int, required=True)
        parser.add_argument("--name", default="setup script")

    def handle(self, *args, schema, shop_id, name, **options):
        if not City.objects.filter(schema_name=schema).exists():
            raise CommandError(f"No city with schema {schema!r}.")
        with schema_context(schema):
            shop = Shop.objects.filter(pk=shop_id).first()
            if shop is None:
                raise CommandError(f"No shop {shop_id} in {schema}.")
            _device, token = device_register(shop=shop, by=None, name=name)
        self.stdout.write(token)

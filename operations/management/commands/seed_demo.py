"""Two demo cities with users of every role and each app's demo data. Safe to run again."""

from __future__ import annotations

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from cities.services import city_get_or_create, public_tenant_ensure
from jeonju_prepay.demo import DemoContext

DEMO_CITIES = [
    ("jeonju", "전주시", "jeonju.localhost"),
    ("wanju", "완주군", "wanju.localhost"),
]
# Each app's demo.py has seed(ctx); the order follows what builds on what.
DEMO_MODULES = [
    "accounts.demo",
    "districts.demo",
    "merchants.demo",
    "vouchers.demo",
    "campaigns.demo",
    "cards.demo",
    "sales.demo",
    "rentals.demo",
    "workplaces.demo",
    "grants.demo",
    "dashboard.demo",
    "messaging.demo",
    "operations.demo",
    "solidarity.demo",
    "fraud.demo",
]


class Command(BaseCommand):
    help = "Create the demo cities jeonju and wanju with demo users and data (idempotent)."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("seed_demo refuses to run with production settings.")
        public_tenant_ensure(domain=settings.PUBLIC_DOMAIN)
        with schema_context("public"):
            if not User.objects.filter(email="operator@demo.kr").exists():
                User.objects.create_superuser(
                    email="operator@demo.kr", password=DEMO_PASSWORD, name="운영자"
                )
        modules = []
        for name in DEMO_MODULES:
            try:
                modules.append(importlib.import_module(name))
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
        notes: list[str] = []
        for schema, name, domain in DEMO_CITIES:
            city, created = city_get_or_create(schema_name=schema, name=name, domain=domain)
            self.stdout.write(f"{'Created' if created else 'Checked'} {city} at {domain}")
            ctx = DemoContext(city=city)
            with schema_context(schema):
                for module in modules:
                    module.seed(ctx)
            notes.extend(f"  [{schema}] {note}" for note in ctx.notes)
        self.stdout.write(
            self.style.SUCCESS(
                "\nDemo logins, password demo-pass-2021, on jeonju.localhost and wanju.localhost:\n"
                "  citizen@demo.kr (more: citizen2@demo.kr ... citizen9@demo.kr), owner@demo.kr,\n"
                "  clerk@demo.kr, landlord@demo.kr, staff@demo.kr; payment PIN 123456.\n"
                "  Platform operator on localhost:8000/admin/: operator@demo.kr"
            )
        )
        for note in notes:
            self.stdout.write(note)

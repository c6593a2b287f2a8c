from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import Agency, AllowedDomain


class Command(BaseCommand):
    help = "Create the demo agency and its domain (idempotent), for a new local install."

    def handle(self, *args: Any, **options: Any) -> None:
        agency, _ = Agency.objects.get_or_create(name="Demo Agency")
        AllowedDomain.objects.get_or_create(domain="demo.gov.sg", defaults={"agency": agency})
        self.stdout.write("Demo agency ready: log in with any address at .gov.sg, e.g. you@demo.gov.sg")

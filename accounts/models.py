from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower


def agency_logo_name(instance: Agency, filename: str) -> str:
    return f"agency-logos/{uuid.uuid4().hex}.png"


class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    # Set when Postman made the agency for an officer's email domain that no admin had mapped:
    # its name was derived from the domain until an admin gives it a real one.
    domain = models.CharField(
        max_length=253,
        blank=True,
        default="",
        db_default="",
        help_text="The email domain this agency was made for on its first officer's login, e.g. hpb.gov.sg.",
    )
    display_name = models.CharField(
        max_length=200,
        blank=True,
        default="",
        db_default="",
        help_text="How emails name the agency, e.g. Ministry of Health. Blank: the name above.",
    )
    retention_days = models.PositiveSmallIntegerField(
        default=30,
        db_default=30,
        validators=[MinValueValidator(7), MaxValueValidator(365)],
        help_text="Days after a campaign finishes that its recipients' data is kept (7 to 365), "
        "then deleted for good. Counts and statuses stay.",
    )
    # Always a PNG that Postman drew itself from the uploaded image (accounts.services), served
    # only by the agency_logo view with this type: never the uploaded bytes, never by its path.
    logo = models.FileField(upload_to=agency_logo_name, blank=True)
    logo_content_type = models.CharField(max_length=50, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(retention_days__gte=7, retention_days__lte=365),
                name="agency_retention_days_range",
            ),
            models.UniqueConstraint(
                fields=["domain"], condition=~models.Q(domain=""), name="agency_domain_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def shown_name(self) -> str:
        return self.display_name or self.name


class AllowedDomain(models.Model):
    """A domain whose addresses may log in, beside ALLOWED_EMAIL_DOMAINS in settings."""

    domain = models.CharField(
        max_length=253,
        unique=True,
        help_text="Exact domain, e.g. agency.gov.sg. Start with a dot (.agency.gov.sg) "
        "to allow every subdomain as well.",
    )
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.CheckConstraint(condition=models.Q(domain=Lower("domain")), name="alloweddomain_lowercase")
        ]

    def __str__(self) -> str:
        return self.domain


class AllowedAddress(models.Model):
    """One person allowed to log in although their domain is not allowed."""

    email = models.EmailField(unique=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "allowed addresses"
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="allowedaddress_lowercase")
        ]

    def __str__(self) -> str:
        return self.email


class OfficerManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, **extra: Any) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        # Nobody logs in by password: every login is by a one-time code.
        user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        return self.create_user(email, is_staff=True, is_superuser=True, **extra)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.SET_NULL)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[OfficerManager] = OfficerManager()  # type: ignore[assignment]

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(email=Lower("email")), name="user_email_lowercase")
        ]

    def __str__(self) -> str:
        return self.email

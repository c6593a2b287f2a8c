from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from campaigns.models import Campaign
from channels_telegram import encryption

# Telegram lets one bot broadcast about 30 messages a second, whatever the number of chats.
DEFAULT_BOT_RATE = 30


class TelegramBot(models.Model):
    """An officer's own bot, from BotFather: its token, its webhook and its subscribers.

    The token is stored only as a Fernet token (encryption.py). Telegram reaches the webhook at a
    URL naming `webhook_id`, a random value that says nothing about the bot; each update carries
    the secret whose SHA-256 is `webhook_secret_hash` (the secret itself is never stored).
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="telegram_bots"
    )
    telegram_id = models.BigIntegerField(unique=True, help_text="The bot's user id, from getMe.")
    username = models.CharField(max_length=64)
    name = models.CharField(max_length=128)
    token_encrypted = models.TextField()
    token_last4 = models.CharField(max_length=4)
    webhook_id = models.CharField(max_length=32, unique=True)
    webhook_secret_hash = models.CharField(max_length=64)
    max_rate = models.PositiveSmallIntegerField(
        default=DEFAULT_BOT_RATE, help_text="Messages per second across every campaign using it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    verified_at = models.DateTimeField()

    class Meta:
        ordering = ["username", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_rate__gte=1, max_rate__lte=DEFAULT_BOT_RATE), name="telegram_bot_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.username}"

    @property
    def link(self) -> str:
        return f"https://t.me/{self.username}"

    def token(self) -> str:
        return encryption.decrypt(self.token_encrypted)


class SubscriberStatus(models.TextChoices):
    STARTED = "started", "Started, number not shared"
    SUBSCRIBED = "subscribed", "Subscribed"
    STOPPED = "stopped", "Unsubscribed (/stop)"
    BLOCKED = "blocked", "Blocked the bot"


class Subscriber(models.Model):
    """A resident's private chat with a bot, and the number they shared in it.

    Only SUBSCRIBED rows receive campaigns. STOPPED and BLOCKED keep the number so the upload can
    tell the officer why a row is set aside; they are this bot's suppression list.
    """

    bot = models.ForeignKey(TelegramBot, on_delete=models.CASCADE, related_name="subscribers")
    chat_id = models.BigIntegerField()
    phone = models.CharField(max_length=20, blank=True, help_text="E.164, as the resident shared it.")
    status = models.CharField(
        max_length=16, choices=SubscriberStatus.choices, default=SubscriberStatus.STARTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    subscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bot", "chat_id"], name="telegram_subscriber_chat_per_bot"),
            # A number reaches one chat: whoever shared it last holds it.
            models.UniqueConstraint(
                fields=["bot", "phone"], condition=~Q(phone=""), name="telegram_subscriber_phone_per_bot"
            ),
            models.CheckConstraint(
                condition=Q(status="started") | ~Q(phone=""), name="telegram_subscriber_has_phone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone or 'chat ' + str(self.chat_id)} ({self.get_status_display()})"


class ProcessedUpdate(models.Model):
    """An update id already handled for a bot: Telegram redelivers until it gets a 200."""

    bot = models.ForeignKey(TelegramBot, on_delete=models.CASCADE, related_name="+")
    update_id = models.BigIntegerField()
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bot", "update_id"], name="telegram_update_once_per_bot"),
        ]

    def __str__(self) -> str:
        return f"Update {self.update_id} of bot {self.bot_id}"


class CampaignTelegramSettings(models.Model):
    """What a Telegram campaign needs beyond Campaign: the bot it sends with."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, primary_key=True, related_name="telegram_settings"
    )
    bot = models.ForeignKey(
        TelegramBot, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_settings"
    )
    # What the last check of the loaded list set aside (reach.py), for the upload page.
    not_subscribed = models.PositiveIntegerField(default=0)
    stopped = models.PositiveIntegerField(default=0)
    too_long = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Telegram campaign settings"
        verbose_name_plural = "Telegram campaign settings"

    def __str__(self) -> str:
        return f"Telegram settings of campaign {self.campaign_id}"

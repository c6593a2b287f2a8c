"""Telegram: officers' own bots, the residents who subscribe to them, and sending through them.

How a Telegram campaign plugs into the campaign core (channel.py registers it; campaigns/
imports nothing from here):

- channel.TelegramCampaignSender: sending.TelegramSender (one campaigns.delivery.Delivery per
  message; 429 is a TelegramDelivery with retry_after, and the bot holds off for that long), plus
  after_load → reach.check_reach, which sets aside at upload the rows the bot cannot reach.
- channel.TelegramPages: the campaign's own steps (steps.py): bot and message, a test to a
  number subscribed to the bot, sending at most at the bot's rate or scheduling; the upload
  result's counts of rows not subscribed, stopped or too long.
- Recipients are normalised as for SMS (common.phones; phones.py says how shared numbers meet
  them). services.IN_FLIGHT / campaigns_needing: a bot is not deleted while a campaign needs it.

Residents talk to the bot through its webhook (updates.py); officers manage bots under
Telegram settings (views.py).
"""

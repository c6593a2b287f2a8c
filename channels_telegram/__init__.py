"""Telegram: officers' own bots, the residents who subscribe to them, and sending through them.

What the campaign path plugs in (the channel registry reaches these; campaigns/ imports none):

- sending.TelegramSender: prepare(campaign) → layout; build(layout, message_id, recipient,
  params) → OutgoingTelegram; retarget(item, phone) for a test to the officer's own subscribed
  number; send_batch(campaign, items) → one campaigns.delivery.Delivery per item (429 is a
  TelegramDelivery with retry_after); buckets(campaign) → the campaign's rate and the bot's
  shared bucket (sending.bot_bucket). Campaign.body holds the sanitised template.
- forms.TelegramTemplateForm (the template step: sanitised Telegram HTML, keyword errors,
  4,096 characters) and forms.BotChoiceForm (send and test steps); services.choose_bot stores
  the choice in models.CampaignTelegramSettings.
- recipients: reach_of / subscribed_numbers (set-based, at upload) and UNREACHABLE_SQL (to mark
  loaded rows "Not subscribed to this bot" or "Unsubscribed from this bot" in one statement);
  message_problem for rows too long after personalisation; HOW_TO_SUBSCRIBE for the page.
  Recipients are normalised with the SMS rules (phones.py says how shared numbers meet them).
- services.IN_FLIGHT / campaigns_needing: a bot is not deleted while a campaign needs it.

Residents talk to the bot through its webhook (updates.py); officers manage bots under
Settings → Telegram (views.py).
"""

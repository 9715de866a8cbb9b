"""Notifications (decision 0024): residents hear back without having to come back.

- ``events``: what residents are told, written with the event's own transaction (inbox + outbox);
- ``inbox``: 我的消息 (read state, unread count) and staff announcements (居民通知);
- ``contacts``: encrypted contact points, consent per channel (web / paper), 退订;
- ``outbox``: ``consult outbox send`` (leases, retries, quiet hours, daily cap) and its status;
- ``transports``: SMTP and the HTTP SMS gateway; ``paper``: door-to-door notices as a PDF;
- ``crypto``: encryption, lookup hash and masking of contact details.
"""

from portal.services.notifications.contacts import (
    ContactView,
    my_contacts,
    record_paper_consent,
    resident_contacts,
    set_my_contact,
    sms_reply,
    unsubscribe,
    unsubscribe_link,
    withdraw_my_consent,
)
from portal.services.notifications.events import (
    consultation_opened,
    notify,
    queue_closing_soon,
    results_published,
    status_updated,
    theme_answered,
)
from portal.services.notifications.inbox import (
    Message,
    list_announcements,
    mark_read,
    my_messages,
    send_announcement,
    unread_count,
)
from portal.services.notifications.outbox import (
    OutboxStatusView,
    SendReport,
    outbox_status,
    send_due,
)

__all__ = [
    "ContactView", "Message", "OutboxStatusView", "SendReport", "consultation_opened", "list_announcements",
    "mark_read", "my_contacts", "my_messages", "notify", "outbox_status", "queue_closing_soon",
    "record_paper_consent", "resident_contacts", "results_published", "send_announcement", "send_due",
    "set_my_contact", "sms_reply", "status_updated", "theme_answered", "unread_count", "unsubscribe",
    "unsubscribe_link", "withdraw_my_consent",
]

"""``{% notification_bell %}``: the link to the notifications with the unread counter."""

from __future__ import annotations

from django import template

from voronka.notifications.selectors import notification_unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"unread": notification_unread_count(user=user) if user is not None else 0,
            "section": context.get("section")}

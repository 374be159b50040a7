"""Jobs of the integrations: send one e-mail, make one webhook attempt.

Both are idempotent: they lock their row, skip it if it is already finished, and carry the
row's idempotency key to the other side, so a job re-queued after a worker died does not
double a side effect that was recorded, and the receiver can drop one that was not.
"""

from __future__ import annotations

from django_tasks import task


@task()
def send_email(email_id: int) -> str:
    from .emails import email_send

    return email_send(email_id)


@task()
def deliver_webhook(delivery_id: int) -> str:
    from .webhooks import delivery_send

    return delivery_send(delivery_id)

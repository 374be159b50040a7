"""Lead capture use cases.

Every capture first stores the raw request (``capture_receive``, idempotent by the
provider's id; module ``intake``), then processes it in one transaction (``capture_process``,
module ``processing``): normalise, match the contact, attach to their open deal or create a
deal for the next person in the distribution, keep source and UTM, set the "classify the
request" task. Telephony events log the call on the contact's open deal (with the stage at
call time); a missed call sets a call-back task; an unknown number becomes contact + deal +
task. Channels are set up in ``channels``.
"""

from .channels import (
    channel_create,
    channel_rotate_key,
    channel_update,
    channel_validate,
    default_fields,
)
from .intake import capture_receive, capture_submit
from .processing import capture_process

__all__ = ["capture_process", "capture_receive", "capture_submit", "channel_create",
           "channel_rotate_key", "channel_update", "channel_validate", "default_fields"]

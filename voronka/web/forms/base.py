"""The base of the web UI's forms."""

from __future__ import annotations

from typing import Any

from django import forms


class PageForm(forms.Form):
    """Element ids carry the form's name (``id_taskform_text``), because a page shows several
    forms at once — the deal page its deal, task, note and company forms, the move dialog its
    facts over the deal form — and two inputs with one id send a label's click to the wrong
    one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)

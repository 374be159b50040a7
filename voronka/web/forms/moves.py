"""Forms of the stage changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .base import PageForm


class ArchiveForm(PageForm):
    reason = forms.ModelChoiceField(queryset=None, label=_("Why is the deal lost?"),
                                    empty_label=_("— choose the reason —"),
                                    widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, reasons, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].queryset = reasons

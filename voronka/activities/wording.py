"""Task wording advice (seed 003, §7): a task should aim at a new agreement with the client,
so a well-planned task starts with "Договориться…" ("Agree…"). Tasks that plan a process —
"созвон", "мониторинг", "выяснить что решили" — get a warning. Advice only: never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Openings that name the agreement the task aims at.
AGREEMENT_PREFIXES = ("договориться", "договорится", "согласовать", "agree", "get agreement")

# Process-only wording: it says what the manager will do, not what the client will agree to.
PROCESS_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bсозвон\w*", "созвон"),
    (r"\bпозвонить\b", "позвонить"),
    (r"\bперезвонить\b", "перезвонить"),
    (r"\bмонитор\w*", "мониторинг"),
    (r"\bвыяснить\b", "выяснить"),
    (r"\bчто\s+(?:решил\w*|надумал\w*)", "что решили"),
    (r"\bспросить\b", "спросить"),
    (r"\bпоинтересоваться\b", "поинтересоваться"),
    (r"\bпобеспокоить\b", "побеспокоить"),
    (r"\bдержать\s+в\s+курсе\b", "держать в курсе"),
    (r"\bуточнить\b", "уточнить"),
    (r"\bвыйти\s+на\s+лпр\b", "выйти на ЛПР"),
    (r"\bпроинформировать\b", "проинформировать"),
    (r"\bобратн\w+\s+связ\w*", "обратная связь"),
    (r"\bнапомнить\b", "напомнить"),
    (r"\bузнать\b", "узнать"),
    (r"\bcall\s*back\b", "call back"),
    (r"\bcheck[\s-]+in\b", "check in"),
    (r"\bfollow[\s-]*up\b", "follow up"),
    (r"\bmonitor\w*", "monitor"),
    (r"\bfind\s+out\b", "find out"),
    (r"\bwhat\s+(?:they|the\s+client)\s+decided\b", "what they decided"),
    (r"\btouch\s+base\b", "touch base"),
    (r"\bget\s+feedback\b", "get feedback"),
    (r"\bremind\b", "remind"),
)


@dataclass(frozen=True)
class WordingAdvice:
    """``aims_at_agreement``: the text starts with an agreement verb; ``process_words``: the
    process-only phrases found (empty when none)."""

    aims_at_agreement: bool
    process_words: tuple[str, ...]

    @property
    def warn(self) -> bool:
        """Warn when the task plans a process rather than an agreement."""
        return bool(self.process_words) and not self.aims_at_agreement


def check_task_wording(text: str) -> WordingAdvice:
    """Judge a task's wording. Pure: no database, no language state."""
    normalized = " ".join((text or "").lower().replace("ё", "е").split())
    aims = normalized.startswith(AGREEMENT_PREFIXES)
    found: list[str] = []
    for pattern, label in PROCESS_PATTERNS:
        if re.search(pattern, normalized) and label not in found:
            found.append(label)
    return WordingAdvice(aims_at_agreement=aims, process_words=tuple(found))

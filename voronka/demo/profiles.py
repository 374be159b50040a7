"""Managers' skills, which give each one an individual funnel shape (seed 003, §2).

The count of open deals a manager holds on a stage is about (deals reaching it per day) ×
(days they stay), so a profile bends two things per stage: the share lost there
(``loss``: a factor on the stage's base loss rate) and the time spent there (``dwell``: a
factor on the stage's median days). Each is given at the top, middle and bottom of the
funnel and interpolated in between.

- trapezoid: many leads, loses many at every stage, carries the plan by volume;
- pipe: few leads ("хуже работает на привлечение") but closes well ("хорош в дожиме");
- barrel: holds deals long in the middle and takes lost clients back from the archive
  there ("берет из архива клиентов на средних этапах");
- skirt: grows existing clients — repeat deals that skip the first stages, wide bottom;
- guitar: passes the middle stages quickly and surely, a narrow waist.
"""

from __future__ import annotations

from dataclasses import dataclass


def _interpolate(points: tuple[float, float, float], x: float) -> float:
    top, middle, bottom = points
    if x <= 0.5:
        return top + (middle - top) * (x / 0.5)
    return middle + (bottom - middle) * ((x - 0.5) / 0.5)


@dataclass(frozen=True)
class Profile:
    key: str
    volume: float  # relative number of new deals
    loss: tuple[float, float, float]  # factor on the base loss rate: top, middle, bottom
    dwell: tuple[float, float, float]  # factor on the median days on a stage
    reopen: tuple[float, float, float]  # chance a deal lost there is reopened
    repeat: float = 0.05  # share of deals from existing clients
    sloppy: float = 0.05  # share of tasks worded as a process ("Перезвонить…")
    overdue: float = 0.25  # share of open deals whose current task is overdue
    takes_archive: bool = False  # the head hands lost middle-stage deals to this manager

    @staticmethod
    def _x(index: int, count: int) -> float:
        return index / (count - 1) if count > 1 else 0.0

    def conversion(self, base: float, index: int, count: int) -> float:
        loss = (1.0 - base) * _interpolate(self.loss, self._x(index, count))
        return min(0.995, max(0.05, 1.0 - loss))

    def dwell_factor(self, index: int, count: int) -> float:
        return _interpolate(self.dwell, self._x(index, count))

    def reopen_chance(self, index: int, count: int) -> float:
        return _interpolate(self.reopen, self._x(index, count))


PROFILES: dict[str, Profile] = {
    p.key: p for p in (
        Profile("trapezoid", volume=1.7, loss=(1.25, 1.3, 1.2), dwell=(1.0, 1.0, 0.9),
                reopen=(0.02, 0.03, 0.03), sloppy=0.3, overdue=0.45),
        Profile("pipe", volume=0.55, loss=(0.8, 0.35, 0.3), dwell=(0.6, 1.2, 1.8),
                reopen=(0.03, 0.05, 0.05), sloppy=0.02, overdue=0.12),
        Profile("barrel", volume=0.9, loss=(1.3, 0.8, 0.6), dwell=(0.6, 2.4, 1.0),
                reopen=(0.05, 0.3, 0.1), sloppy=0.08, overdue=0.3, takes_archive=True),
        Profile("skirt", volume=0.8, loss=(0.9, 0.6, 0.4), dwell=(0.5, 1.0, 2.2),
                reopen=(0.03, 0.05, 0.08), repeat=0.45, sloppy=0.05, overdue=0.2),
        Profile("guitar", volume=1.1, loss=(1.1, 0.3, 1.0), dwell=(1.0, 0.35, 1.1),
                reopen=(0.03, 0.03, 0.05), sloppy=0.1, overdue=0.3),
        # Heads keep a few key accounts themselves and work them carefully.
        Profile("head", volume=0.15, loss=(0.7, 0.6, 0.5), dwell=(1.0, 1.0, 1.0),
                reopen=(0.05, 0.05, 0.05), repeat=0.3, sloppy=0.0, overdue=0.1),
    )
}

import pytest

from voronka.core.errors import GateRefused, MoveRefused
from voronka.deals.models import Transition
from voronka.deals.services import deal_move, deal_update

from .factories import done_task, make_deal


def test_first_stage_gate_blocks_then_allows(pipeline, stages, manager):
    deal = make_deal(pipeline, manager)
    with pytest.raises(GateRefused) as exc:
        deal_move(deal=deal, to_stage=stages[1], actor=manager)
    assert {m.code for m in exc.value.missing} == {"field_filled", "task_completed"}
    deal_update(deal=deal, actor=manager, budget="150000")
    done_task(deal, manager)
    tr = deal_move(deal=deal, to_stage=stages[1], actor=manager)
    assert tr.kind == Transition.Kind.ADVANCE
    deal.refresh_from_db()
    assert deal.stage_id == stages[1].pk
    with pytest.raises(MoveRefused):
        deal_move(deal=deal, to_stage=stages[0], actor=manager)

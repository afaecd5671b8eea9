"""The numbering of audit keys shared by subscriptions of one encode key
(``graph.engine.subscription_frames``): stable positions, one per key, freed with its users."""

from __future__ import annotations

import gc

from graph.engine.subscription_frames import AuditKeyNumbering, numbering_for


def test_each_key_keeps_its_one_position() -> None:
    numbering = AuditKeyNumbering()
    first = numbering.bits([("Patient", "a"), ("Patient", "b")])
    again = numbering.bits([("Patient", "b")])
    later = numbering.bits([("Patient", "c")])
    assert first == 0b011
    assert again == 0b010
    assert later == 0b100
    assert numbering.bits([]) == 0
    assert len(numbering.positions) == 3


def test_subscriptions_of_one_encode_key_share_it_until_the_last_lets_go() -> None:
    key = ("query", None, "{}", ("permissions",))
    held = numbering_for(key)
    assert numbering_for(("query", None, "{}", ("permissions",))) is held  # equal keys
    assert numbering_for(("query", None, "{}", ("other",))) is not held
    held.bits([("Patient", "a")])
    del held
    gc.collect()
    assert numbering_for(key).positions == {}  # a fresh numbering: nothing kept for nobody

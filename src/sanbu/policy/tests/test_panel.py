"""The expert draw: reproducible from its seed, recusal, the secrecy minimum, clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sanbu.policy.panel import Candidate, DrawError, draw, recuse

POOL = [Candidate(i, secrecy=i % 4 == 0, department=100 + i % 3, specialties=frozenset({"软件"} if i % 2 else {"网络"}))
        for i in range(1, 21)]  # fmt: skip


def test_recusal_removes_the_unit_and_declared_conflicts() -> None:
    pool = [Candidate(1, department=7), Candidate(2, conflicts=frozenset({7})), Candidate(3), Candidate(4)]
    eligible, recused = recuse(pool, unit=7)
    assert [c.id for c in eligible] == [3, 4]
    assert [(r.id, "本单位" in r.reason or "冲突" in r.reason) for r in recused] == [(1, True), (2, True)]


def test_specialty_narrows_the_candidates_without_recording_them_as_recused() -> None:
    eligible, recused = recuse(POOL, unit=999, specialty="软件")
    assert eligible and all("软件" in c.specialties for c in eligible) and recused == []


@given(st.text(alphabet="0123456789abcdef", min_size=8, max_size=32), st.sampled_from([3, 5, 7]),
       st.integers(0, 3))  # fmt: skip
def test_same_seed_same_panel_and_the_secrecy_minimum_holds(seed: str, size: int, secrecy: int) -> None:
    panel = draw(POOL, size, secrecy, seed)
    again = draw(list(reversed(POOL)), size, secrecy, seed)
    assert [c.id for c in panel] == [c.id for c in again]
    assert len(panel) == size == len({c.id for c in panel})
    assert sum(1 for c in panel if c.secrecy) >= secrecy


def test_a_known_seed_gives_a_known_panel() -> None:
    # Pinned: if CPython ever changed Random.sample, recorded draws could no longer be redone.
    assert [c.id for c in draw(POOL, 5, 2, "5eed")] == [8, 16, 7, 15, 18]
    assert len({tuple(c.id for c in draw(POOL, 5, 0, f"{n:x}")) for n in range(20)}) > 1


@pytest.mark.parametrize(("size", "secrecy", "pool", "code"), [
    (4, 0, POOL, "projects.draw.size"),
    (1, 0, POOL, "projects.draw.size"),
    (3, 5, POOL, "projects.draw.size"),
    (5, 2, [Candidate(1, secrecy=True), *(Candidate(i) for i in range(2, 9))], "projects.draw.secrecy_pool"),
    (7, 0, POOL[:5], "projects.draw.pool"),
])  # fmt: skip
def test_a_pool_that_cannot_make_the_panel_is_refused_with_a_reason(
    size: int, secrecy: int, pool: list[Candidate], code: str
) -> None:
    with pytest.raises(DrawError) as exc:
        draw(pool, size, secrecy, "abc")
    assert exc.value.code == code and "专家" in exc.value.message

import pytest

from engine.domain.org import OrgSnapshot
from engine.domain.workflow.routing import Address, RoleExpr, parse, resolve, role_from_text
from engine.domain.workflow.states import Role

# 1 administration > 2 department > 3, 4 units
PARENTS = {1: None, 2: 1, 3: 2, 4: 2}


def org(*holders: tuple[Role, int]) -> OrgSnapshot:
    return OrgSnapshot(dict(PARENTS), {Address(r, u): [100 + u] for r, u in holders})


def test_manager_only_counts_at_the_unit_itself() -> None:
    o = org((Role.MANAGER, 2))
    assert resolve(RoleExpr(Role.MANAGER), 3, o) is None
    assert resolve(RoleExpr(Role.MANAGER), 2, o) == Address(Role.MANAGER, 2)


def test_director_heads_their_own_unit() -> None:
    assert resolve(RoleExpr(Role.MANAGER), 1, org((Role.DIRECTOR, 1))) == Address(Role.DIRECTOR, 1)


def test_safety_rep_is_the_nearest_above() -> None:
    o = org((Role.SAFETY_REP, 2), (Role.SAFETY_REP, 4))
    assert resolve(RoleExpr(Role.SAFETY_REP), 3, o) == Address(Role.SAFETY_REP, 2)
    assert resolve(RoleExpr(Role.SAFETY_REP), 4, o) == Address(Role.SAFETY_REP, 4)


def test_chief_safety_rep_stands_in_where_no_safety_rep() -> None:
    o = org((Role.CHIEF_SAFETY_REP, 1))
    assert resolve(RoleExpr(Role.SAFETY_REP), 3, o) == Address(Role.CHIEF_SAFETY_REP, 1)


def test_parent_manager_skips_levels_without_one() -> None:
    o = org((Role.MANAGER, 3), (Role.DIRECTOR, 1))
    assert resolve(RoleExpr(Role.MANAGER, True), 3, o) == Address(Role.DIRECTOR, 1)
    assert resolve(RoleExpr(Role.MANAGER, True), 1, o) is None


def test_parse_names_the_bad_expression() -> None:
    assert parse("parent.manager") == RoleExpr(Role.MANAGER, True)
    with pytest.raises(ValueError, match="bogus"):
        parse("bogus")


def test_role_words_in_swedish() -> None:
    assert role_from_text("Enhetschef") == Role.MANAGER
    assert role_from_text("skyddsombud") == Role.SAFETY_REP
    assert role_from_text("Kalle") is None

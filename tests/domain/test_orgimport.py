import pytest

from engine.domain.errors import ImportInvalid
from engine.domain.imports.org import parse_people, parse_units
from engine.domain.org import find_cycle, span_of_control
from engine.domain.workflow.states import Role


def test_semicolons_and_bom_are_read() -> None:
    rows = parse_units("\ufeffcode;name;parent_code;level;headcount\nA;Enhet A;;unit;12\n")
    assert rows[0].code == "A" and rows[0].headcount == 12


def test_every_bad_row_is_named_with_file_line_field() -> None:
    text = "code,name,parent_code,headcount\nA,Enhet A,,x\nB,,A,3\nA,Igen,,1\nC,Enhet C,Z,1\n"
    with pytest.raises(ImportInvalid) as err:
        parse_units(text, "units.csv")
    where = [(r.line, r.field) for r in err.value.rows]
    assert where == [(2, "headcount"), (3, "name"), (4, "code"), (5, "parent_code")]
    assert err.value.rows[0].file == "units.csv"


def test_parent_loop_is_refused() -> None:
    with pytest.raises(ImportInvalid, match="loop"):
        parse_units("code,name,parent_code\nA,a,B\nB,b,A\n")
    assert find_cycle({"A": "B", "B": "C", "C": None}) is None


def test_missing_column() -> None:
    with pytest.raises(ImportInvalid, match="missing column"):
        parse_units("code,parent_code\nA,\n")


def test_people_roles_in_swedish_and_errors() -> None:
    text = (
        "email,name,role,unit_code,valid_from,valid_to\n"
        "Anna@X.se,Anna,Enhetschef,A,2027-01-01,\n"
        "bad-email,B,manager,A,,\n"
        "anna@x.se,Annika,safety_rep,A,,\n"
        "c@x.se,C,king,A,,\n"
        "d@x.se,D,manager,Q,,\n"
        "e@x.se,E,manager,A,2027-02-01,2027-01-01\n"
    )
    with pytest.raises(ImportInvalid) as err:
        parse_people(text, "people.csv", frozenset({"A"}))
    assert [(r.line, r.field) for r in err.value.rows] == [
        (3, "email"),
        (4, "name"),
        (5, "role"),
        (6, "unit_code"),
        (7, "valid_to"),
    ]
    ok = parse_people(
        "email,name,role,unit_code\nAnna@X.se,Anna,Enhetschef,A\n", "p.csv", frozenset({"A"})
    )
    assert (ok[0].email, ok[0].role) == ("anna@x.se", Role.MANAGER)


def test_span_of_control() -> None:
    span = span_of_control([(1, 10, 30), (2, 11, 45), (2, 12, 10), (3, 13, 41)], threshold=40)
    assert [m.employees for m in span.managers] == [55, 41, 30]
    assert span.median == 41
    assert [m.person_id for m in span.above_threshold] == [2, 3]


def test_a_line_csv_cannot_read_is_named_not_a_crash() -> None:
    """Schemathesis found it: a bare carriage return inside an unquoted field made the
    csv module raise, and the import answered 500."""
    with pytest.raises(ImportInvalid) as caught:
        parse_units("a\rb,c\n", "units.csv")
    [row] = caught.value.rows
    assert row.file == "units.csv" and "CSV" in row.message_en and "CSV" in row.message_sv

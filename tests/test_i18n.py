"""The message catalogues: every text in use has both languages, no ``t("sv", "en")`` pair
is left in a template, and counts agree with their number in both languages."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from engine.domain.errors import GateBlocked, Unmet
from forms import i18n, labels
from forms.render import environment
from scripts import i18n as catalogues


@pytest.fixture(scope="module")
def used() -> dict[catalogues.Key, str]:
    return catalogues.extract()


def test_every_text_in_use_has_english_and_swedish(used: dict[catalogues.Key, str]) -> None:
    sv, en = catalogues.read("sv"), catalogues.read("en")
    assert len(used) > 500
    lacking = []
    for (msgid, context), where in used.items():
        for lang, catalog in (("sv", sv), ("en", en)):
            m = catalog.get(msgid, context)
            strings = (m.string if isinstance(m.string, tuple | list) else [m.string]) if m else []
            if not strings or not all(s.strip() for s in strings):
                lacking.append(f"{lang} {where}: {msgid!r}")
    assert not lacking, "run scripts/i18n.py update and translate:\n" + "\n".join(lacking)


def test_the_catalogues_hold_only_texts_in_use(used: dict[catalogues.Key, str]) -> None:
    """A text no longer in the code leaves the catalogue (``scripts/i18n.py update``)."""
    in_use = {(m if isinstance(m, str) else m[0], c) for m, c in used}
    for lang in ("sv", "en"):
        kept = {
            (m.id if isinstance(m.id, str) else m.id[0], m.context) for m in catalogues.read(lang)
        }
        assert kept - {("", None)} == in_use, lang


def test_no_text_is_both_a_count_and_a_text(used: dict[catalogues.Key, str]) -> None:
    assert catalogues.collisions(used) == []
    clash = {("försenad", None): "a.html:1", (("försenad", "försenade"), None): "b.html:2"}
    assert catalogues.collisions(clash)


def test_the_swedish_catalogue_is_the_identity() -> None:
    for m in catalogues.read("sv"):
        if m.id:
            assert (m.string if isinstance(m.id, str) else tuple(m.string)) == m.id


def test_no_t_pair_is_left_in_a_template() -> None:
    assert catalogues.leftover_pairs() == [], "run scripts/i18n.py to convert them"


def test_a_conversion_turns_a_pair_into_a_text(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """What the lead runs after merging a branch still written with t("sv", "en")."""
    page = tmp_path / "x.html"
    page.write_text('<p>{{ t("Ny text, 100 %", "New text, 100 %") }} {{ t(a, b) }}</p>')
    monkeypatch.setattr(catalogues, "TEMPLATES", tmp_path)
    monkeypatch.setattr(catalogues, "ROOT", tmp_path)
    result = catalogues.convert({})
    assert page.read_text() == '<p>{{ _("Ny text, 100 %%") }} {{ t(a, b) }}</p>'
    assert result.pairs == {"Ny text, 100 %%": "New text, 100 %%"}
    assert catalogues.leftover_pairs() == ["x.html:1"]  # the non-literal one, for a person
    page.write_text('{{ t("Ja", "Yes!") }}')
    conflict = catalogues.convert({"Ja": "Yes"})  # the catalogue says otherwise: a person decides
    assert conflict.conflicts and page.read_text() == '{{ t("Ja", "Yes!") }}'


@pytest.mark.parametrize(
    ("singular", "plural", "sv1", "sv2", "en1", "en2"),
    [
        ("%(num)d enhet", "%(num)d enheter", "1 enhet", "2 enheter", "1 unit", "2 units"),
        ("%(num)d försenad", "%(num)d försenade", "1 försenad", "2 försenade", "1 overdue",
         "2 overdue"),
        ("%(num)d medarbetare", "%(num)d medarbetare", "1 medarbetare", "2 medarbetare",
         "1 employee", "2 employees"),
        ("<strong>%(num)d</strong> cykel", "<strong>%(num)d</strong> cykler",
         "<strong>1</strong> cykel", "<strong>2</strong> cykler", "<strong>1</strong> cycle",
         "<strong>2</strong> cycles"),
        ("%(num)d kedja är bruten", "%(num)d kedjor är brutna", "1 kedja är bruten",
         "2 kedjor är brutna", "1 chain is broken", "2 chains are broken"),
    ],
)  # fmt: skip
def test_counts_agree_with_their_number(
    singular: str, plural: str, sv1: str, sv2: str, en1: str, en2: str
) -> None:
    for lang, one, two in (("sv", sv1, sv2), ("en", en1, en2)):
        assert i18n.ntr(lang, singular, plural, 1) == one
        assert i18n.ntr(lang, singular, plural, 2) == two
        assert i18n.ntr(lang, singular, plural, 0) == two.replace("2", "0")


def test_a_plural_in_a_template_in_both_languages() -> None:
    env = environment()
    page = env.from_string(
        '{{ ngettext("%(done)s av %(num)d obligatoriskt steg klart",'
        ' "%(done)s av %(num)d obligatoriska steg klara", n, done=d) }}'
    )
    assert page.render(lang="sv", n=1, d=1) == "1 av 1 obligatoriskt steg klart"
    assert page.render(lang="sv", n=3, d=2) == "2 av 3 obligatoriska steg klara"
    assert page.render(lang="en", n=1, d=0) == "0 of 1 required step done"
    assert page.render(lang="en", n=3, d=2) == "2 of 3 required steps done"


def test_the_variables_of_a_text_are_escaped() -> None:
    page = environment().from_string('{{ _("%(day)s kl. %(time)s", day=x, time="14:30") }}')
    assert page.render(lang="sv", x="<b>") == "&lt;b&gt; kl. 14:30"


def test_dates_and_numbers_by_babel() -> None:
    instant = datetime(2027, 3, 15, 13, 30, tzinfo=UTC)  # 14:30 in Sweden (CET)
    assert i18n.day(date(2027, 3, 15), "sv") == "15 mars 2027"
    assert i18n.day(date(2027, 3, 15), "en") == "15 March 2027"
    assert i18n.when(instant, "sv") == "2027-03-15 kl. 14:30"
    assert i18n.when(instant, "en") == "2027-03-15 14:30"
    assert i18n.number(72.5, "sv") == "72,5"
    assert i18n.number(72.5, "en") == "72.5"
    assert i18n.number(1234, "sv") == "1\xa0234"
    assert i18n.number(4.0, "sv") == "4"
    assert i18n.pct(0.425, "sv") == "42\xa0%"
    assert i18n.pct(0.425, "en") == "42%"
    assert i18n.pct(None, "sv") == "–"


def test_a_blocked_sign_off_counts_what_is_missing() -> None:
    """Was '1 things missing' / '1 saker saknas'."""
    one = GateBlocked("analysis", [Unmet("g", "risk missing", "risk saknas")])
    two = GateBlocked("analysis", [Unmet("g", "a", "a"), Unmet("h", "b", "b")])
    assert "(1 thing missing)" in one.headline("en") and "(1 sak saknas)" in one.headline("sv")
    assert "(2 things missing)" in two.headline("en") and "(2 saker saknas)" in two.headline("sv")


def test_every_data_label_has_both_languages() -> None:
    """What stays data in two languages (documents' code words) has both."""
    for kind, pairs in labels._PAIRS.items():
        for code, (sv, en) in pairs.items():
            assert sv.strip() and en.strip(), (kind, code)


def test_python_texts_reach_the_catalogue(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No command-line text is left as a c.t("sv", "en") pair, and none hides inside an
    f-string, where the extractor cannot see it (it would stay Swedish in English)."""
    assert catalogues.python_pairs() == [] and catalogues.hidden_in_fstrings() == []
    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / "x.py").write_text(
        'c.t("Ja", "Yes")\nc.t(head.text("sv"), head.text("en"))\nf"{c._(\'Nej\')}: {n}"\n'
    )
    monkeypatch.setattr(catalogues, "ROOT", tmp_path)
    assert catalogues.python_pairs() == ["cli/x.py:1"]  # data in two languages is left alone
    assert catalogues.hidden_in_fstrings() == ["cli/x.py:3"]


# --- texts translated when a page template is compiled (forms.i18n.constant_texts) -------
def _page_templates() -> list[str]:
    env = environment()
    return [n for n in env.list_templates() if n.endswith(".html")]


def test_no_page_template_binds_a_gettext_name() -> None:
    """A template that bound ``_`` (a loop variable, a macro argument) would be compiled as
    written, but a template it includes sees its locals: none may, so every fold holds."""
    env = environment()
    binding = []
    for name in _page_templates():
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        if i18n._binds_gettext(env.parse(source)):
            binding.append(name)
    assert binding == []


def test_every_constant_text_compiles_to_what_it_renders_at_run_time() -> None:
    """Each literal ``_("…")`` and ``pgettext`` of the pages, folded at compile time in
    each language's environment, gives what the call gives when the page is rendered."""
    from jinja2 import nodes

    plain = environment()
    calls: set[str] = set()
    for name in _page_templates():
        source = plain.loader.get_source(plain, name)[0]  # type: ignore[union-attr]
        for call in plain.parse(source).find_all(nodes.Call):
            fn = call.node
            if (
                isinstance(fn, nodes.Name)
                and fn.name in ("_", "pgettext")
                and not call.kwargs
                and all(isinstance(a, nodes.Const) for a in call.args)
            ):
                args = ", ".join(repr(a.value) for a in call.args)
                calls.add(f"{{{{ {fn.name}({args}) }}}}")
    assert len(calls) > 400
    source = "\n".join(sorted(calls))
    for lang in ("sv", "en"):
        folded = environment(lang)
        for text in (source, "{% autoescape false %}" + source + "{% endautoescape %}"):
            assert folded.from_string(text).render(lang=lang) == plain.from_string(text).render(
                lang=lang
            )
        assert "gettext" not in folded.compile(source, raw=True)  # every one was folded


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_a_folded_environment_renders_as_the_plain_one(lang: str) -> None:
    plain, folded = environment(), environment(lang)
    cases = [
        '{{ _("Inkorg") }}|{{ _("ja, &lt;gräns") }}|{{ pgettext("column of buttons", "Åtgärd") }}',
        '{% set d = {"a": _("Enhet")} %}{{ d.a }}{{ _("Enhet") | length }}',
        '{{ _("Uppgift %(num)s", num=n) }}|{{ _(v) }}|{% trans %}Inkorg{% endtrans %}',
        '{% macro m() %}{{ _("Enhet") }}{% endmacro %}{{ m() }}',
        "{% for _ in [1] %}{{ _ }}{% endfor %}",  # binds _: compiled as written
        '{% autoescape false %}{{ _("ja, &lt;gräns") }}{% endautoescape %}',
        '{% autoescape flag %}{{ _("ja, &lt;gräns") ~ "<" }}{% endautoescape %}',
    ]
    for text in cases:
        for flag in (True, False):
            values = {"lang": lang, "n": "<7>", "v": "Enhet", "flag": flag}
            got = folded.from_string(text).render(**values)
            assert got == plain.from_string(text).render(**values), text
    assert "Inbox" in environment("en").from_string('{{ _("Inkorg") }}').render(lang="en")
    with pytest.raises(KeyError):  # a text that needs its variables still asks for them
        folded.from_string('{{ _("Uppgift %(num)s") }}').render(lang=lang)


def test_the_kept_main_menu_is_the_one_the_page_would_render() -> None:
    """``main_menu`` keeps each menu it rendered: one kept for another path, language or
    pair of rights would mark the wrong page or show the wrong links."""
    from forms import render

    paths = ["/home", "/inbox", "/org", "/org/7", "/org/substitutes", "/org/substitutes/2",
             "/cases/incident/4", "/cases/incidents", "/audit", "/tasks/3", "/"]  # fmt: skip
    rights = [(False, False), (True, False), (False, True), (True, True)]
    for lang, env in render.environments().items():
        fresh = render.environment(lang)  # nothing kept: the menu rendered each time
        source = fresh.loader.get_source(fresh, "_nav.html")[0]  # type: ignore[union-attr]
        menu = fresh.from_string(source)
        for _ in range(2):  # the second round is answered from what was kept
            for path in paths:
                for admin, oversees in rights:
                    page = env.from_string("{{ main_menu(path, admin, oversees) }}")
                    got = page.render(lang=lang, path=path, admin=admin, oversees=oversees)
                    want = menu.render(lang=lang, path=path, admin=admin, oversees=oversees)
                    assert got == want, (lang, path, admin, oversees)
                    marked = path not in ("/", "/org/7", "/cases/incidents", "/tasks/3")
                    marked = marked and (oversees or path != "/audit")  # shown to overseers
                    assert ('aria-current="page"' in got) == marked, (lang, path)
                    assert ("/year" in got) == admin and ("/audit" in got) == oversees
    assert 0 < len(env.samflow_menus) <= render.MENUS_KEPT  # type: ignore[attr-defined]

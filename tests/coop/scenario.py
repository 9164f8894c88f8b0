"""The organisation the cooperation tests share: bodies imported by HR (an FSG at the
administration, an LSG at unit 1), their members, and a plan driven to the manager's
decision."""

from __future__ import annotations

from dataclasses import dataclass

from engine.context import App
from engine.coop import bodies
from tests.factories import Org, build_org

UNION = (
    "fack@x.se,Frida Facklig,union_rep,ADM,2020-01-01,",
    "fack2@x.se,Fredrik Facklig,union_rep,ADM,2020-01-01,",
    "anna@x.se,Anna Anställd,employee,U1,2020-01-01,",
)
BODIES_CSV = """organ;enhet;typ;namn;epost;roll;organisation
FSG-ADM;ADM;fsg;FSG Förvaltningen;dir@x.se;chair;
FSG-ADM;ADM;fsg;FSG Förvaltningen;fack@x.se;union_rep;Vision
FSG-ADM;ADM;fsg;FSG Förvaltningen;hso@x.se;safety_rep;Kommunal
LSG-U1;U1;lsg;LSG Enhet 1;m1@x.se;chair;
LSG-U1;U1;lsg;LSG Enhet 1;fack2@x.se;union_rep;Kommunal
LSG-U1;U1;lsg;LSG Enhet 1;so1@x.se;safety_rep;Kommunal
"""


@dataclass
class Coop:
    o: Org
    app: App


def build(app: App) -> Coop:
    o = build_org(app, extra=UNION)
    report = bodies.import_bodies(app, o.actor("hr@x.se"), BODIES_CSV)
    assert (report.bodies_created, report.members_added) == (2, 6)
    return Coop(o, app)

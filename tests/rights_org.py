"""An organisation with two departments for the tests of administrative rights.

ADM   director dir@, HR hr@ and hr2@, chief safety representative hso@
├─ DEP   manager dep@, director dir1@ (a department's director)
│  ├─ U1  manager m1@, safety representative so1@, employee emp@
│  └─ U2  manager m2@, safety representative so2@
└─ DEP2  manager dep2@
   └─ U3  manager m3@, safety representative so3@
"""

from __future__ import annotations

from sqlalchemy import select

from engine.context import Actor, App
from engine.db import queries
from engine.db.models import OrgUnit
from engine.org import admin as org
from tests.factories import Org, people_csv, units_csv

SYSTEM = Actor.system("test")
UNITS = units_csv() + "DEP2,Avdelning Två,ADM,department,4\nU3,Enhet 3,DEP2,unit,20\n"
EXTRA = (
    "hr2@x.se,Hanna Personal,hr,ADM,2020-01-01,",
    "dir1@x.se,Dina Avdelningsdirektör,director,DEP,2020-01-01,",
    "emp@x.se,Erik Medarbetare,employee,U1,2020-01-01,",
    "dep2@x.se,Dag Två,manager,DEP2,2020-01-01,",
    "m3@x.se,Mats Tre,manager,U3,2020-01-01,",
    "so3@x.se,Siv Tre,safety_rep,U3,2020-01-01,",
)
PEOPLE = people_csv(extra=EXTRA)
ROLES = 14


def build(app: App) -> Org:
    org.import_org(app, SYSTEM, UNITS, PEOPLE)
    with app.read() as s:
        units = queries.pairs(s, select(OrgUnit.code, OrgUnit.id))
    return Org(app, units)


def without(text: str, *emails: str) -> str:
    """The CSV without the rows of these people."""
    return "".join(line for line in text.splitlines(True) if line.split(",")[0] not in emails)


def renamed(text: str, code: str, name: str) -> str:
    out = []
    for line in text.splitlines(True):
        cells = line.split(",")
        if cells[0] == code:
            cells[1] = name
        out.append(",".join(cells))
    return "".join(out)

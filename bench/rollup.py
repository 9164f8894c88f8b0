"""The annual follow-up's roll-up over 3,000 units in 20 departments: the year started for
every unit (through the use case), nine in ten units' follow-up stage signed off (set in
the tables: the set-up, not what is measured), the levels opened (``rollup.start``: 21
cases), then what is measured: every level's summary drawn from the level below
(``rollup.levels``), the administration's gate at sign-off (the missing departments named),
a department's gate, and the administration's tjänsteskrivelse content. Target: the
roll-up (levels + gates) ≤ 5 s.

    .venv/bin/python -m bench.rollup [--units 3000] [--db postgresql://...]
"""

from __future__ import annotations

import os
import time

from sqlalchemy import select, update

from bench.common import build_org, fresh_app, machine, parser, peak_rss_mb, timed
from engine.context import Actor, Tx
from engine.db.models import Cycle, Stage
from engine.reports import rollup
from engine.workflow import cycles
from engine.workflow.process import cases as processes


def main() -> None:
    p = parser(__doc__ or "")
    p.add_argument("--units", type=int, default=3000)
    args = p.parse_args()
    app = fresh_app(args.db)
    build_org(app, args.units)
    system = Actor.system("bench")
    t = time.perf_counter()
    cycles.start_cycles(app, system, 2027)
    print(f"set-up: year started for {args.units} units in {time.perf_counter() - t:.1f} s")

    def follow_up(tx: Tx) -> None:  # nine in ten units followed up (set-up)
        s = tx.session
        ids = [
            cid
            for (cid, unit) in s.execute(select(Cycle.id, Cycle.unit_id).order_by(Cycle.id))
            if unit % 10
        ]
        for i in range(0, len(ids), 500):
            s.execute(
                update(Stage)
                .where(Stage.cycle_id.in_(ids[i : i + 500]), Stage.key == "evaluation")
                .values(status="signed_off")
            )

    app.run(follow_up)
    t = time.perf_counter()
    started = rollup.start(app, system, 2027, root_code="ADM")
    print(f"set-up: {started.opened} levels opened in {time.perf_counter() - t:.2f} s")
    rows = processes.list_cases(app, system, "followup_level")
    adm = next(r for r in rows if r.unit_code == "ADM")
    dep = next(r for r in rows if r.unit_code == "D0")
    print(f"load average before: {os.getloadavg()[0]:.2f} ({machine()})")
    with timed("roll-up: every level's summary (rollup.levels)") as total:
        levels = rollup.levels(app, system, 2027, root_code="ADM")
    with timed("roll-up: the administration's gate (sign-off check)") as gate_a:
        unmet_adm = cycles.unmet_for(app, adm.cycle_id or 0, "follow_up")
    with timed("roll-up: a department's gate") as gate_d:
        unmet_dep = cycles.unmet_for(app, dep.cycle_id or 0, "follow_up")
    with timed("roll-up: the tjänsteskrivelse's content") as doc:
        processes.preview_document(app, system, "followup_level", adm.id, "committee_report")
    missing = sum(lv.counts["missing"] for lv in levels)
    print(
        f"{len(levels)} levels, {sum(len(lv.children) for lv in levels)} sub-units, "
        f"{missing} missing; administration gate names {len(unmet_adm)}, "
        f"D0's gate names {len(unmet_dep)}"
    )
    rollup_s = total["seconds"] + gate_a["seconds"] + gate_d["seconds"]
    print(
        f"roll-up (levels + gates): {rollup_s:.2f} s wall, "
        f"{total['cpu_seconds'] + gate_a['cpu_seconds'] + gate_d['cpu_seconds']:.2f} s CPU "
        f"(target ≤ 5 s: {'met' if rollup_s <= 5 else 'NOT met'}); "
        f"document {doc['seconds']:.2f} s; load average after {os.getloadavg()[0]:.2f}; "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )


if __name__ == "__main__":
    main()

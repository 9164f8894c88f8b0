"""The supply chain of a release: audit the pinned dependencies for known vulnerabilities and
write a CycloneDX SBOM of what is installed.

    python scripts/supply_chain.py [--sbom FILE] [--strict]

1. ``pip-audit`` checks every pin of ``constraints.txt`` (no install: ``--no-deps
   --disable-pip``) against the PyPI vulnerability service. A known vulnerability fails
   (exit 1) unless ``deploy/vulnerability-exceptions.toml`` lists its id with the date it was
   decided, who decided, why, and a date it expires (an expired exception fails too).
2. When the service cannot be reached (no network, or a mirror without vulnerability data:
   pip-audit then skips every package), that is said plainly: nothing was audited. It fails
   only with ``--strict`` (a release build), so the test command still runs offline.
3. The SBOM (CycloneDX 1.6 JSON, default ``tests/artifacts/sbom.cdx.json``) lists every
   pinned distribution as installed: name, version, package URL, licence and hashes of its
   RECORD, built from the installed metadata, offline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
EXCEPTIONS = ROOT / "deploy" / "vulnerability-exceptions.toml"
DEFAULT_SBOM = ROOT / "tests" / "artifacts" / "sbom.cdx.json"


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for raw in CONSTRAINTS.read_text("utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            found[name.strip()] = version.split(";", 1)[0].strip()
    return found


def exceptions(today: date) -> tuple[set[str], list[str]]:
    """Ids excepted, and problems with the exceptions file (expired or incomplete)."""
    if not EXCEPTIONS.is_file():
        return set(), []
    doc = tomllib.loads(EXCEPTIONS.read_text("utf-8"))
    ids: set[str] = set()
    problems: list[str] = []
    for i, entry in enumerate(doc.get("exception", [])):
        where = f"{EXCEPTIONS.name}: exception {i + 1}"
        missing = [k for k in ("id", "decided", "by", "reason", "expires") if not entry.get(k)]
        if missing:
            problems.append(f"{where}: missing {', '.join(missing)}")
            continue
        if entry["expires"] < today:
            problems.append(f"{where} ({entry['id']}) expired on {entry['expires']}")
            continue
        ids.add(str(entry["id"]))
    return ids, problems


def audit(strict: bool) -> int:
    excepted, problems = exceptions(datetime.now(UTC).date())  # noqa: TID251 (a tool, not the engine)
    for p in problems:
        print(f"vulnerability exceptions: {p}", file=sys.stderr)
    cmd = [
        sys.executable,
        "-m",
        "pip_audit",
        "-r",
        str(CONSTRAINTS),
        "--no-deps",
        "--disable-pip",
        "--progress-spinner",
        "off",
        "--format",
        "json",
    ]
    for vuln in sorted(excepted):
        cmd += ["--ignore-vuln", vuln]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit gave no report: {done.stderr.strip()[-500:]}", file=sys.stderr)
        return 1
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions", [])) or "no fixed version"
            print(f"VULNERABLE {d['name']} {d['version']}: {v['id']} (fixed in {fixes})")
    if not audited:
        print(
            f"supply chain: NOT AUDITED: the vulnerability service could not be reached "
            f"from this machine ({len(deps)} pins, every one skipped)"
        )
        return 1 if strict else (1 if problems else 0)
    skipped = len(deps) - len(audited)
    print(
        f"supply chain: {len(audited)} pins audited, {len(vulnerable)} vulnerable, "
        f"{len(excepted)} excepted, {skipped} could not be audited"
    )
    return 1 if vulnerable or problems else 0


def sbom(path: Path) -> int:
    components = []
    for name, version in sorted(pins().items(), key=lambda kv: kv[0].lower()):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # pinned for another platform or extra; not in this install
        meta = dist.metadata
        licence = meta.get("License-Expression") or meta.get("License") or ""
        component: dict[str, object] = {
            "type": "library",
            "name": meta["Name"],
            "version": dist.version,
            "purl": f"pkg:pypi/{meta['Name'].lower().replace('_', '-')}@{dist.version}",
        }
        if licence and len(licence) < 200:
            component["licenses"] = [{"license": {"name": licence.strip()}}]
        if dist.version != version:
            component["description"] = f"pinned {version}, installed {dist.version}"
        components.append(component)
    doc = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),  # noqa: TID251
            "component": {"type": "application", "name": "samflow", "version": _version()},
        },
        "components": components,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"SBOM: {len(components)} components in {path.relative_to(ROOT)}")
    return 0


def _version() -> str:
    try:
        return metadata.version("samflow")
    except metadata.PackageNotFoundError:
        return "0"


def main(argv: list[str]) -> int:
    strict = "--strict" in argv
    out = Path(argv[argv.index("--sbom") + 1]) if "--sbom" in argv else DEFAULT_SBOM
    rc = sbom(out if out.is_absolute() else ROOT / out)
    return audit(strict) or rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

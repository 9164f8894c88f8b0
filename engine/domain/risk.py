"""Risk = probability × consequence, each 1–4 (AFS 2023:1 11 §, general advice)."""

from __future__ import annotations

from dataclasses import dataclass

SCALE = range(1, 5)


@dataclass(frozen=True)
class RiskLevel:
    key: str
    sv: str
    en: str
    must_act: bool

    def label(self, lang: str) -> str:
        return self.sv if lang == "sv" else self.en


LOW = RiskLevel("low", "Låg", "Low", must_act=False)
MEDIUM = RiskLevel("medium", "Medel", "Medium", must_act=False)
HIGH = RiskLevel("high", "Hög", "High", must_act=True)
VERY_HIGH = RiskLevel("very_high", "Mycket hög", "Very high", must_act=True)


def score(probability: int, consequence: int) -> int:
    if probability not in SCALE or consequence not in SCALE:
        raise ValueError("probability and consequence are 1–4 | sannolikhet och konsekvens är 1–4")
    return probability * consequence


def level(probability: int, consequence: int) -> RiskLevel:
    """High and very high risks must be acted on (they need a measure in the plan)."""
    s = score(probability, consequence)
    if s <= 2:
        return LOW
    if s <= 4:
        return MEDIUM
    if s <= 9:
        return HIGH
    return VERY_HIGH


def matrix() -> list[list[RiskLevel]]:
    """Rows: consequence 4→1, columns: probability 1→4 (how the matrix is printed)."""
    return [[level(p, c) for p in SCALE] for c in reversed(SCALE)]

"""Where each stage of a run sits on the 0..1 progress scale.

Weights are rough shares of wall time: extraction dominates a plain job, the
vision model dominates LLM_OCR, translation costs about half an extraction.
Only the stages a run will go through get a share, so progress reaches 1.0
without jumps.
"""

from __future__ import annotations

ANALYZE_END = 0.05


class ProgressPlan:
    def __init__(self, *, llm_ocr: bool = False, translate: bool = False) -> None:
        weights = {"extract": 0.2 if llm_ocr else 1.0}
        if llm_ocr:
            weights["llm"] = 0.8
        if translate:
            weights["translate"] = 0.5
            weights["render"] = 0.15
        weights["finalize"] = 0.05
        total = sum(weights.values())
        self._spans: dict[str, tuple[float, float]] = {"analyze": (0.0, ANALYZE_END)}
        position = ANALYZE_END
        for stage, weight in weights.items():
            share = (1.0 - ANALYZE_END) * weight / total
            self._spans[stage] = (position, position + share)
            position += share

    def span(self, stage: str) -> tuple[float, float]:
        return self._spans[stage]

    def start(self, stage: str) -> float:
        return self._spans[stage][0]

"""Districts of the demo cities, as the national administrative-district tables list them.

Jeonju (전주시): 35 administrative dongs (행정동) in two wards, after the merges and renames of
the 2010s-2020s (금암1·2동 → 금암동, 동산동 → 여의동, 혁신동 and 송천3동 created). Wanju
(완주군): 3 eup and 10 myeon. Staff keep the list current at /districts/; these rows only start a
demo city (``seed_demo``) or a new one (``manage.py districts_load``).
"""

from __future__ import annotations

WANSAN = (
    "중앙동", "풍남동", "노송동", "완산동", "동서학동", "서서학동", "중화산1동", "중화산2동",
    "평화1동", "평화2동", "서신동", "삼천1동", "삼천2동", "삼천3동", "효자1동", "효자2동",
    "효자3동", "효자4동", "효자5동",
)  # fmt: skip
DEOKJIN = (
    "진북동", "인후1동", "인후2동", "인후3동", "덕진동", "금암동", "팔복동", "우아1동",
    "우아2동", "호성동", "송천1동", "송천2동", "송천3동", "조촌동", "여의동", "혁신동",
)  # fmt: skip
WANJU_EUP = ("삼례읍", "봉동읍", "용진읍")
WANJU_MYEON = (
    "상관면", "소양면", "구이면", "이서면", "고산면", "비봉면", "운주면", "화산면", "동상면",
    "경천면",
)  # fmt: skip

# (name, kind, ward) per city schema.
KNOWN: dict[str, list[tuple[str, str, str]]] = {
    "jeonju": [(n, "dong", "완산구") for n in WANSAN] + [(n, "dong", "덕진구") for n in DEOKJIN],
    "wanju": [(n, "eup", "") for n in WANJU_EUP] + [(n, "myeon", "") for n in WANJU_MYEON],
}

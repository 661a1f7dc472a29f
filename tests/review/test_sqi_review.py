"""SQI: the preliminary review's ranking yields the 专家会审 list (SQI-10, SQI-11), with the SAQ pool."""

from __future__ import annotations

from tests.conftest import AwardRunner
from tests.helpers import sets, uscc
from tests.scenarios.test_sqi import (  # noqa: F401 - the sqi fixture
    ORG_CONDITIONS,
    PERSON,
    PERSON_CONDITIONS,
    PRIVATE,
    STATE,
    open_case,
    sqi,
    state,
)

NOW = "2024-09-20 10:00"


def test_preliminary_ranking_yields_the_panel_review_list(sqi: AwardRunner) -> None:  # noqa: F811
    refs = [open_case(sqi), open_case(sqi, party=STATE, direct=False)]
    for ref in refs:
        assert sqi("advance", ref, "submit", *sets(ORG_CONDITIONS), now="2024-08-20 10:00").code == 0
        assert sqi("checklist", "record", ref, "--all", "--finding", "符合", now=NOW).code == 0
        assert sqi("advance", ref, "pass_conditions", "--set", "condition_opinion=符合", now=NOW).code == 0
    for i, name in enumerate(["周一", "周二", "周三"]):
        assert sqi("staff", "add", f"zhou{i}", "--login", f"zhou{i}", "--role", "reviewer@saq", who="admin").code == 0
        r = sqi("expert", "add", name, "--pool", "saq", "--org-code", uscc(f"91310000MA1QQ000{i}"),
                "--staff", f"zhou{i}", now=NOW)
        assert r.code == 0, r
    r = sqi("expert", "add", "外人", "--pool", "shanghai_gov", now=NOW)
    assert r.code == 0
    r = sqi("panel", "form", "--round", "sqi-2024", "--expert", "外人", now=NOW)
    assert r.code == 4 and "找不到专家 外人" in r.err  # another issuer's pool
    assert sqi("panel", "form", "--round", "sqi-2024", "--expert", "周一", "--expert", "周二", "--expert", "周三",
               now=NOW).code == 0
    assert sqi("review", "assign", "--round", "sqi-2024", "--stage", "preliminary", now=NOW).code == 0
    for ref, points in zip(refs, ("72", "85.5"), strict=True):
        for i in range(3):
            r = sqi("review", "score", ref, "--stage", "preliminary", "--item", f"第四条={points}", now=NOW,
                    who=f"zhou{i}")
            assert r.code == 0, r
    r = sqi("review", "score", refs[0], "--stage", "preliminary", "--item", "第四条=101", now=NOW, who="zhou0")
    assert r.code == 2 and "0 到 100" in r.err
    rank = sqi("ranking", "--round", "sqi-2024", "--stage", "preliminary", "--json", now=NOW).json
    assert [(c["ref"], c["mean"], c["count"]) for c in rank["tracks"]["model"]] == [(refs[1], 85.5, 3),
                                                                                    (refs[0], 72.0, 3)]
    r = sqi("review", "shortlist", "--round", "sqi-2024", "--stage", "preliminary", "--top", "1", now=NOW, who="li")
    assert r.code == 0, r
    assert state(sqi, refs[1])["state"] == "panel_review"
    assert state(sqi, refs[0])["state"] == "not_shortlisted"
    assert "3 位专家评分，平均 72.0 分" in state(sqi, refs[0])["data"]["preliminary_opinion"]


def test_an_expert_of_an_individual_applicants_employer_is_recused(sqi: AwardRunner) -> None:  # noqa: F811
    ref = open_case(sqi, party=PERSON, track="experience")
    assert sqi("advance", ref, "submit", *sets(PERSON_CONDITIONS), now="2024-08-20 10:00").code == 0
    assert sqi("checklist", "record", ref, "--all", "--finding", "符合", now=NOW).code == 0
    assert sqi("advance", ref, "pass_conditions", "--set", "condition_opinion=符合", now=NOW).code == 0
    for name, org in (("吴一", "上海某某精密制造有限公司"), ("吴二", "某大学")):
        assert sqi("expert", "add", name, "--pool", "saq", "--org-name", org, now=NOW).code == 0
    assert sqi("panel", "form", "--round", "sqi-2024", "--expert", "吴一", "--expert", "吴二", now=NOW).code == 0
    r = sqi("review", "assign", ref, "--stage", "preliminary", "--expert", "吴一", now=NOW)
    assert r.code == 3 and "吴一 所在单位 上海某某精密制造有限公司 即申报人 陈质量 的所在单位" in r.err and "SQI-15" in r.err
    assert sqi("review", "assign", ref, "--stage", "preliminary", "--expert", "吴二", now=NOW).code == 0

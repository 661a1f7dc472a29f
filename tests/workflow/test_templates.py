"""Notification templates: rendering, Chinese filters, escaping, the sandbox and `check()`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from award.workflow.errors import DataError
from award.workflow.notify.templates import (
    MAX_TEMPLATE_BYTES,
    Rendered,
    TemplateError,
    TemplateSet,
    check,
    cn_date,
    cn_datetime,
)

GOOD = """\
{% block subject %}关于{{ party.name }}参评资格的通知{% endblock %}
{% block text %}
{{ party.name }}：
    贵单位的申报材料已受理，公示期至{{ due | cn_date }}。
{% if contact %}
联系人证件号：{{ contact | mask_id }}
{% endif %}
评审会议：{{ meeting | cn_datetime }}
{% endblock %}
{% block html %}
<p>{{ party.name }}：</p>
<p>公示期至{{ due | cn_date }}。</p>
{% endblock %}
"""


def context(**extra):
    values = {
        "party": {"name": "A&B <质量>有限公司"},
        "case": SimpleNamespace(ref="SHA-2026-001", title="上海市质量金奖"),
        "due": date(2026, 10, 12),
        "meeting": datetime(2026, 10, 12, 7, 0, tzinfo=UTC),
        "contact": "31010120000229123X",
    }
    values.update(extra)
    return values


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def root(tmp_path):
    write(tmp_path, "sha/accepted.j2", GOOD)
    return tmp_path


# --- rendering ------------------------------------------------------------------------------------


def test_good_template_renders_chinese(root):
    rendered = TemplateSet(root).render("sha", "accepted", context())
    assert isinstance(rendered, Rendered)
    assert rendered.subject == "关于A&B <质量>有限公司参评资格的通知"
    assert rendered.text == (
        "A&B <质量>有限公司：\n"
        "    贵单位的申报材料已受理，公示期至2026年10月12日。\n"
        "联系人证件号：310101********123X\n"
        "评审会议：2026年10月12日 15:00"
    )
    assert rendered.html == "<p>A&amp;B &lt;质量&gt;有限公司：</p>\n<p>公示期至2026年10月12日。</p>"


def test_html_is_optional(tmp_path):
    write(tmp_path, "sha/plain.j2", "{% block subject %}主题{% endblock %}{% block text %}正文{% endblock %}")
    assert TemplateSet(tmp_path).render("sha", "plain", {}) == Rendered(subject="主题", text="正文", html=None)


def test_names_leave_out_partials(root):
    write(root, "sha/_footer.j2", "此致")
    write(root, "sha/rejected.j2", GOOD)
    write(root, "sha/readme.txt", "not a template")
    templates = TemplateSet(root)
    assert templates.names("sha") == ["accepted", "rejected"]
    assert templates.names("nope") == []


def test_include_partial(root):
    write(root, "sha/_footer.j2", "{{ office }}\n")
    write(root, "sha/signed.j2", '{% block subject %}通知{% endblock %}{% block text %}正文\n{% include "sha/_footer.j2" %}{% endblock %}')
    rendered = TemplateSet(root).render("sha", "signed", {"office": "上海市质量奖评审办公室"})
    assert rendered.text == "正文\n上海市质量奖评审办公室"


def test_missing_template(root):
    with pytest.raises(TemplateError, match="模板文件不存在") as caught:
        TemplateSet(root).render("sha", "nope", {})
    assert caught.value.problem.file == str(root / "sha" / "nope.j2")
    assert isinstance(caught.value, DataError) and caught.value.exit_code == 6


@pytest.mark.parametrize("name", ["../sha/accepted", "sha/accepted", ".hidden"])
def test_name_with_path_is_refused(root, name):
    with pytest.raises(TemplateError, match="模板名不合法"):
        TemplateSet(root).render("sha", name, context())


def test_undefined_variable_raises_at_render(root):
    with pytest.raises(TemplateError, match="模板变量未定义") as caught:
        TemplateSet(root).render("sha", "accepted", {"party": {"name": "甲公司"}})
    assert caught.value.problem.line == 4  # `due` is the first missing value, on line 4


def test_multiline_subject_is_refused(tmp_path):
    write(tmp_path, "sha/two.j2", "{% block subject %}第一行\n第二行{% endblock %}{% block text %}正文{% endblock %}")
    with pytest.raises(TemplateError, match="多于一行"):
        TemplateSet(tmp_path).render("sha", "two", {})


# --- filters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        pytest.param(date(2026, 10, 2), "2026年10月2日", id="date_no_zero_padding"),
        pytest.param(datetime(2026, 10, 11, 16, 0, tzinfo=UTC), "2026年10月12日", id="utc_evening_is_next_day_in_shanghai"),
        pytest.param(datetime(2026, 1, 5, 15, 59, tzinfo=UTC), "2026年1月5日", id="utc_before_midnight_shanghai"),
    ],
)
def test_cn_date(value, expected):
    assert cn_date(value) == expected


def test_cn_datetime():
    assert cn_datetime(datetime(2026, 10, 12, 7, 0, tzinfo=UTC)) == "2026年10月12日 15:00"
    assert cn_datetime(datetime(2026, 10, 11, 16, 5, tzinfo=UTC)) == "2026年10月12日 00:05"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: cn_date(datetime(2026, 10, 12, 9, 0)), id="cn_date_naive"),
        pytest.param(lambda: cn_datetime(datetime(2026, 10, 12, 9, 0)), id="cn_datetime_naive"),
        pytest.param(lambda: cn_datetime(date(2026, 10, 12)), id="cn_datetime_plain_date"),
        pytest.param(lambda: cn_date("2026-10-12"), id="cn_date_string"),
    ],
)
def test_filters_refuse_ambiguous_values(call):
    with pytest.raises(TypeError):
        call()


def test_filter_error_in_template_names_the_line(tmp_path):
    path = write(tmp_path, "sha/naive.j2", "{% block subject %}通知{% endblock %}\n{% block text %}\n时间：{{ at | cn_datetime }}\n{% endblock %}")
    with pytest.raises(TemplateError, match="需要带时区的时间") as caught:
        TemplateSet(tmp_path).render("sha", "naive", {"at": datetime(2026, 10, 12, 9, 0)})
    assert (caught.value.problem.file, caught.value.problem.line) == (str(path), 3)


# --- check() --------------------------------------------------------------------------------------


def test_check_passes_good_templates(root):
    assert check(root, {"sha": context()}) == []


def test_check_catches_typo_with_file_and_line(root):
    path = write(
        root,
        "sha/typo.j2",
        "{% block subject %}关于{{ case.title }}的通知{% endblock %}\n"
        "{% block text %}\n"
        "{{ party.name }}：\n"
        "    您申报的{{ case.titel }}已受理。\n"
        "{% endblock %}\n",
    )
    problems = check(root, {"*": context()})  # falls back to the "*" sample
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.line) == (str(path), 4)
    assert problem.reason == "模板变量未定义：'types.SimpleNamespace object' has no attribute 'titel'"


def test_check_reports_undefined_key_of_a_mapping(tmp_path):
    path = write(tmp_path, "sha/key.j2", "{% block subject %}通知{% endblock %}\n{% block text %}\n\n{{ case.titel }}{% endblock %}")
    [problem] = check(tmp_path, {"sha": {"case": {"title": "金奖"}}})
    assert (problem.file, problem.line) == (str(path), 4)
    assert problem.reason == "模板变量未定义：'dict object' has no attribute 'titel'"


def test_check_reports_the_line_inside_an_included_partial(root):
    partial = write(root, "sha/_sign.j2", "此致\n{{ offce }}\n")
    write(root, "sha/signed.j2", '{% block subject %}通知{% endblock %}{% block text %}正文\n{% include "sha/_sign.j2" %}{% endblock %}')
    [problem] = check(root, {"sha": context()})
    assert (problem.file, problem.line) == (str(partial), 2)
    assert "'offce' is undefined" in problem.reason


def test_check_catches_syntax_error_with_line(root):
    path = write(root, "sha/broken.j2", "{% block subject %}通知{% endblock %}\n{% block text %}\n{% if party.name %}\n正文\n{% endblock %}\n")
    [problem] = check(root, {"sha": context()})
    assert (problem.file, problem.line) == (str(path), 5)
    assert problem.reason.startswith("模板语法错误：")
    with pytest.raises(TemplateError, match="模板语法错误"):
        TemplateSet(root).render("sha", "broken", context())


def test_check_catches_syntax_error_in_partial(root):
    partial = write(root, "sha/_bad.j2", "正文\n{{ office }\n")
    [problem] = check(root, {"sha": context()})
    assert (problem.file, problem.line) == (str(partial), 2)


def test_check_reports_missing_and_unknown_blocks(root):
    write(root, "sha/nosubject.j2", "{% block text %}正文{% endblock %}")
    write(root, "sha/misspelt.j2", "{% block subject %}通知{% endblock %}{% block text %}正文{% endblock %}{% block htlm %}<p/>{% endblock %}")
    problems = {Path(p.file).name: p.reason for p in check(root, {"sha": context()})}
    assert problems["nosubject.j2"].startswith("缺少必需的块：subject")
    assert problems["misspelt.j2"].startswith("未知的块：htlm")


def test_check_reports_each_failing_block(tmp_path):
    write(tmp_path, "sha/two.j2", "{% block subject %}{{ a }}{% endblock %}\n{% block text %}{{ b }}{% endblock %}\n{% block html %}{{ c }}{% endblock %}")
    problems = check(tmp_path, {"sha": {}})
    assert [(p.line, p.reason) for p in problems] == [
        (1, "模板变量未定义：'a' is undefined"),
        (2, "模板变量未定义：'b' is undefined"),
        (3, "模板变量未定义：'c' is undefined"),
    ]


def test_check_reports_a_procedure_without_sample(root):
    write(root, "unknown_procedure/x.j2", GOOD)
    problems = check(root, {"sha": context()})
    assert [(Path(p.file).name, p.line) for p in problems] == [("unknown_procedure", None)]
    assert "没有流程 unknown_procedure 的示例数据" in problems[0].reason


# --- the sandbox ----------------------------------------------------------------------------------

ESCAPES = [
    pytest.param("''.__class__.__mro__", "'__class__' of 'str'", id="class_mro_walk"),
    pytest.param("cycler.__init__.__globals__", "'__init__'", id="globals_via_cycler"),
    pytest.param("x.__class__", "'__class__' of 'int'", id="class_of_context_value"),
    pytest.param('"{0.__class__}".format(x)', "'__class__' of 'int'", id="str_format_escape"),
    pytest.param("d.update({'a': 1})", "'update' of 'dict'", id="mutation_of_context_dict"),
    pytest.param("items.append(1)", "'append' of 'list'", id="mutation_of_context_list"),
    pytest.param("x|attr('__class__')", "'__class__'", id="attr_filter"),
]


@pytest.mark.parametrize("expression,detail", ESCAPES)
def test_sandbox_escape_is_reported_by_check(tmp_path, expression, detail):
    path = write(tmp_path, "sha/evil.j2", "{% block subject %}通知{% endblock %}\n{% block text %}\n正文\n{{ " + expression + " }}\n{% endblock %}")
    sample = {"x": 1, "d": {"k": "v"}, "items": [1]}
    [problem] = check(tmp_path, {"sha": sample})
    assert (problem.file, problem.line) == (str(path), 4)
    assert problem.reason.startswith("模板使用了不允许的操作（安全沙箱拒绝）：")
    assert detail in problem.reason
    assert sample == {"x": 1, "d": {"k": "v"}, "items": [1]}  # nothing was changed


@pytest.mark.parametrize("expression,detail", ESCAPES)
def test_sandbox_escape_is_refused_by_render(tmp_path, expression, detail):
    write(tmp_path, "sha/evil.j2", "{% block subject %}通知{% endblock %}{% block text %}{{ " + expression + " }}{% endblock %}")
    with pytest.raises(TemplateError, match="安全沙箱拒绝"):
        TemplateSet(tmp_path).render("sha", "evil", {"x": 1, "d": {}, "items": []})


def test_oversize_template_is_refused(tmp_path):
    filler = "很长的正文。" * (MAX_TEMPLATE_BYTES // 18 + 1)  # 18 UTF-8 bytes per repetition
    path = write(tmp_path, "sha/huge.j2", "{% block subject %}通知{% endblock %}{% block text %}" + filler + "{% endblock %}")
    assert path.stat().st_size > MAX_TEMPLATE_BYTES
    with pytest.raises(TemplateError, match="模板文件过大"):
        TemplateSet(tmp_path).render("sha", "huge", {})
    [problem] = check(tmp_path, {"sha": {}})
    assert problem.file == str(path) and "上限 65536 字节" in problem.reason


def test_oversize_partial_is_refused_where_included(tmp_path):
    write(tmp_path, "sha/_big.j2", "x" * (MAX_TEMPLATE_BYTES + 1))
    write(tmp_path, "sha/main.j2", '{% block subject %}通知{% endblock %}{% block text %}{% include "sha/_big.j2" %}{% endblock %}')
    with pytest.raises(TemplateError, match="模板文件过大"):
        TemplateSet(tmp_path).render("sha", "main", {})

"""Account plan exports: a PDF (fpdf2, A4 landscape, CJK font from the system) and an XLSX
(xlsxwriter, one sheet per step). Both are in Chinese and every export is logged (ExportLog).

No font ships with the project: the PDF uses an installed CJK font (Debian's fonts-noto-cjk, or any
path in JIKE_CJK_FONT) and fails with a clear message if none is installed.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.utils import timezone

from jike.core.errors import BusinessRuleError
from jike.core.middleware import current_request_id
from jike.core.models import ExportLog, User

from .models import AccountPlan
from .services import SECTIONS, weighted_score

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
]


@dataclass(frozen=True)
class CjkFont:
    path: str
    index: int
    bold_path: str | None
    bold_index: int


def _sc_index(path: str) -> int:
    """Index of the Simplified Chinese face in a font collection (0 for a single font)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    collection = TTCollection(path, lazy=True)
    names = [str(font["name"].getDebugName(1) or "") for font in collection.fonts]
    for wanted in (" SC", "GB", "Hei", "Ming"):
        for i, name in enumerate(names):
            if wanted in name and "Mono" not in name:
                return i
    return 0


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> CjkFont:
    configured = os.environ.get("JIKE_CJK_FONT")
    candidates = [configured] if configured else []
    candidates += FONT_CANDIDATES
    for path in candidates:
        if path and Path(path).is_file():
            bold = path.replace("-Regular", "-Bold")
            bold_path = bold if bold != path and Path(bold).is_file() else None
            return CjkFont(path, _sc_index(path), bold_path, _sc_index(bold_path) if bold_path else 0)
    raise BusinessRuleError(
        "no_cjk_font",
        "服务器未安装中文字体（如 fonts-noto-cjk），无法生成PDF / no CJK font installed for the PDF export",
        {"searched": candidates},
        status=503,
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    widths: list[float]


def plan_tables(plan: AccountPlan) -> dict[str, Table]:
    """Each step's table, with Chinese headers and display values: shared by the PDF and the XLSX."""
    bf = list(plan.buying_factors.all())
    comp = list(plan.competitors.all())
    sol = list(plan.solutions.all())
    sites = list(plan.sites.all())
    mkt = list(plan.marketing_plans.all())
    com = list(plan.communication_plans.all())
    return {
        "buying_factors": Table(
            "关键购买因素",
            ["序号", "关键购买因素", "权重(%)", "我方得分", "主要对手得分", "说明"],
            [
                [str(i), r.get_factor_display(), _text(r.weight), _text(r.our_score), _text(r.competitor_score), r.note]
                for i, r in enumerate(bf, 1)
            ],
            [12, 50, 22, 22, 26, 135],
        ),
        "competitors": Table(
            "竞争对手实力（1-5分）",
            ["产品线", "竞争对手", "网络覆盖", "稳定性", "价格", "品牌", "服务质量", "运营能力", "合计", "说明"],
            [
                [
                    r.get_product_line_display(),
                    r.competitor,
                    *(
                        _text(getattr(r, f))
                        for f in ("coverage", "stability", "price", "brand", "service_quality", "operations")
                    ),
                    _text(r.total),
                    r.note,
                ]
                for r in comp
            ],
            [30, 32, 18, 18, 18, 18, 18, 18, 16, 81],
        ),
        "solutions": Table(
            "定制化方案",
            [
                "业务领域",
                "当前年收入(元)",
                "竞争状况",
                "我方策略",
                "具体措施",
                "可行性",
                "财务",
                "技术",
                "政策",
                "阶段",
                "预期年收入增量(元)",
            ],
            [
                [
                    r.service_area,
                    _text(r.current_annual_revenue),
                    r.competitive_situation,
                    r.strategy,
                    r.measures,
                    r.feasibility,
                    _text(r.financial_score),
                    _text(r.technical_score),
                    _text(r.policy_score),
                    r.get_phase_display(),
                    _text(r.expected_revenue_effect),
                ]
                for r in sol
            ],
            [24, 24, 30, 32, 32, 26, 12, 12, 12, 26, 37],
        ),
        "sites": Table(
            "客户站点网络资源",
            ["序号", "地址", "接入点/局所", "光纤到楼", "铜缆对数", "可承载业务"],
            [
                [str(i), r.address, r.access_point, _text(r.fibre), _text(r.copper_pairs), r.services]
                for i, r in enumerate(sites, 1)
            ],
            [12, 80, 50, 20, 20, 85],
        ),
        "marketing_plans": Table(
            "营销计划",
            ["营销任务", "一季度", "二季度", "三季度", "四季度", "第一责任人", "行业经理", "技术支撑", "营销支撑"],
            [
                [
                    r.task,
                    r.q1,
                    r.q2,
                    r.q3,
                    r.q4,
                    r.first_responsible,
                    r.industry_manager,
                    r.technical_support,
                    r.marketing_support,
                ]
                for r in mkt
            ],
            [45, 30, 30, 30, 30, 24, 24, 27, 27],
        ),
        "communication_plans": Table(
            "沟通计划",
            ["对象部门", "沟通活动", "频次", "预期效果"],
            [[r.target_department, r.activity, r.frequency, r.expected_effect] for r in com],
            [55, 90, 40, 82],
        ),
    }


def plan_texts(plan: AccountPlan) -> dict[int, list[tuple[str, str]]]:
    """The single-valued text of each step, labelled."""
    return {
        1: [
            ("客户群行业收入结构", plan.industry_revenue_mix),
            ("行业重点通信业务", plan.industry_key_services),
            ("行业消费特点", plan.industry_spending_traits),
        ],
        2: [("竞争态势小结", plan.competition_summary)],
        3: [
            ("客户档案概要", plan.customer_profile),
            ("网络与业务现状", plan.network_status),
            ("技术策略", plan.technology_strategy),
            ("通信消费", plan.telecom_spend),
            ("各层级决策流程", plan.decision_process),
            ("潜在需求", plan.potential_needs),
        ],
        4: [("方案评估小结", plan.solution_summary)],
        5: [("售后服务能力", plan.after_sales_capability)],
        6: [("规划小结", plan.planning_summary)],
    }


STEPS = {
    1: ("第一步 行业分析", ["buying_factors"]),
    2: ("第二步 竞争分析", ["competitors"]),
    3: ("第三步 个性化需求分析", []),
    4: ("第四步 定制化方案分析", ["solutions"]),
    5: ("第五步 服务支撑能力分析", ["sites"]),
    6: ("第六步 客户规划分析", ["marketing_plans", "communication_plans"]),
}


def header_facts(plan: AccountPlan) -> list[tuple[str, str]]:
    local = timezone.localtime
    return [
        ("客户", plan.customer.name),
        ("规划名称", plan.title),
        ("规划年度", str(plan.year)),
        ("版本", f"V{plan.version}"),
        ("状态", str(plan.get_status_display())),
        ("编制人", str(plan.author)),
        ("审核人", str(plan.reviewer) if plan.reviewer else "—"),
        ("审核时间", local(plan.reviewed_at).strftime("%Y-%m-%d %H:%M") if plan.reviewed_at else "—"),
        ("审核意见", plan.review_comment or "—"),
        ("总体目标", plan.objective or "—"),
    ]


# --- PDF ----------------------------------------------------------------------------------------------


def build_pdf(plan: AccountPlan) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    font = find_cjk_font()
    generated = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    doc_title = f"{plan.customer.name} · {plan.title} · V{plan.version}"

    class PlanPDF(FPDF):
        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font("cjk", size=8)
            self.set_text_color(110)
            self.cell(0, 6, doc_title, align="L")
            self.ln(8)
            self.set_text_color(0)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=8)
            self.set_text_color(110)
            self.cell(
                0, 6, f"第 {self.page_no()} 页 / 共 {{nb}} 页    生成于 {generated}    内部资料 注意保密", align="C"
            )
            self.set_text_color(0)

    pdf = PlanPDF(orientation="L", unit="mm", format="A4")
    pdf.set_title(doc_title)
    pdf.set_author(str(plan.author))
    pdf.set_creator("Jike 集客")
    pdf.set_lang("zh-CN")
    pdf.add_font("cjk", "", font.path, collection_font_number=font.index)
    if font.bold_path:
        pdf.add_font("cjk", "B", font.bold_path, collection_font_number=font.bold_index)
    bold = "B" if font.bold_path else ""
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=16)
    pdf.alias_nb_pages()
    pdf.add_page()

    # Title block.
    pdf.set_font("cjk", bold, 20)
    pdf.cell(0, 12, "集团客户规划（六步分析法）", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", "", 13)
    pdf.cell(0, 9, f"{plan.customer.name}  ·  {plan.title}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("cjk", "", 10)
    heading = FontFace(emphasis=bold or None, fill_color=(225, 232, 240))
    with pdf.table(
        col_widths=(40, 229), first_row_as_headings=False, wrapmode=WrapMode.CHAR, text_align="LEFT", line_height=6
    ) as table:
        for label, value in header_facts(plan):
            row = table.row()
            row.cell(label, style=heading)
            row.cell(value)
    score = weighted_score(plan)
    pdf.ln(2)
    pdf.cell(0, 6, f"关键购买因素加权得分：我方 {score['ours']}，主要对手 {score['competitor']}（满分5分）")
    pdf.ln(8)

    tables = plan_tables(plan)
    texts = plan_texts(plan)
    for step, (title, keys) in STEPS.items():
        if pdf.get_y() > pdf.h - 60:
            pdf.add_page()
        pdf.set_font("cjk", bold, 14)
        pdf.set_fill_color(30, 90, 160)
        pdf.set_text_color(255)
        pdf.cell(0, 9, f"  {title}", fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0)
        pdf.set_fill_color(255)  # tables below inherit the fill colour: keep their bodies white
        pdf.ln(2)
        for label, value in texts[step]:
            pdf.set_font("cjk", bold, 10.5)
            pdf.cell(0, 6, label, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", "", 10)
            pdf.multi_cell(0, 5.5, value.strip() or "—", wrapmode=WrapMode.CHAR, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        for key in keys:
            t = tables[key]
            pdf.set_font("cjk", bold, 10.5)
            pdf.cell(0, 7, t.title, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("cjk", "", 8.5)
            # Headings repeat on every page a long table runs over.
            with pdf.table(
                col_widths=t.widths,
                wrapmode=WrapMode.CHAR,
                text_align="LEFT",
                line_height=4.6,
                headings_style=heading,
                repeat_headings=1,
            ) as table:
                table.row(t.headers)
                for values in t.rows or [["—"] + [""] * (len(t.headers) - 1)]:
                    table.row(values)
            pdf.ln(3)
        pdf.ln(2)
    return bytes(pdf.output())


# --- XLSX ---------------------------------------------------------------------------------------------


def build_xlsx(plan: AccountPlan) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.set_properties({"title": f"{plan.customer.name} {plan.title} V{plan.version}", "author": str(plan.author)})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "font_name": "宋体"})
    head_fmt = wb.add_format(
        {"bold": True, "bg_color": "#DCE6F0", "border": 1, "text_wrap": True, "valign": "vcenter", "font_name": "宋体"}
    )
    cell_fmt = wb.add_format({"border": 1, "text_wrap": True, "valign": "top", "font_name": "宋体"})
    num_fmt = wb.add_format({"border": 1, "num_format": "#,##0.00", "valign": "top", "font_name": "宋体"})
    label_fmt = wb.add_format({"bold": True, "valign": "top", "font_name": "宋体"})
    wrap_fmt = wb.add_format({"text_wrap": True, "valign": "top", "font_name": "宋体"})

    def sheet(name: str) -> Any:
        ws = wb.add_worksheet(name)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C第 &P 页 / 共 &N 页")
        return ws

    def write_texts(ws: Any, row: int, pairs: Sequence[tuple[str, str]]) -> int:
        for label, value in pairs:
            ws.write(row, 0, label, label_fmt)
            ws.write(row, 1, value, wrap_fmt)
            ws.set_row(row, max(15, 15 * (value.count("\n") + 1 + len(value) // 60)))
            row += 1
        return row

    def write_table(ws: Any, row: int, table: Table, numeric: set[int] = frozenset()) -> int:  # type: ignore[assignment]
        ws.write(row, 0, table.title, label_fmt)
        row += 1
        ws.write_row(row, 0, table.headers, head_fmt)
        ws.repeat_rows(row)
        row += 1
        for values in table.rows:
            for col, value in enumerate(values):
                if col in numeric and value not in ("", None):
                    ws.write_number(row, col, float(value), num_fmt)
                else:
                    ws.write(row, col, value, cell_fmt)
            row += 1
        for col, width in enumerate(table.widths):
            ws.set_column(col, col, max(8, width * 0.55))
        return row + 1

    ws = sheet("封面")
    ws.set_column(0, 0, 14)
    ws.set_column(1, 1, 90)
    ws.write(0, 0, "集团客户规划（六步分析法）", title_fmt)
    row = write_texts(ws, 2, header_facts(plan))
    score = weighted_score(plan)
    write_texts(ws, row, [("加权得分", f"我方 {score['ours']}，主要对手 {score['competitor']}（满分5分）")])

    tables = plan_tables(plan)
    texts = plan_texts(plan)
    numeric = {
        "buying_factors": {2, 3, 4},
        "competitors": {2, 3, 4, 5, 6, 7, 8},
        "solutions": {1, 6, 7, 8, 10},
        "sites": {4},
    }
    for step, (title, keys) in STEPS.items():
        ws = sheet(title.replace(" ", "")[:31])
        ws.write(0, 0, title, title_fmt)
        ws.set_column(0, 0, 18)
        ws.set_column(1, 1, 60)
        row = write_texts(ws, 2, texts[step]) + 1
        for key in keys:
            row = write_table(ws, row, tables[key], numeric.get(key, set()))
    wb.close()
    return buf.getvalue()


FORMATS = {
    "pdf": ("application/pdf", build_pdf),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", build_xlsx),
}


def export_plan(actor: User, plan: AccountPlan, fmt: str) -> tuple[bytes, str, str]:
    """The file, its name and content type; the export is logged (who, which plan, how many rows)."""
    if fmt not in FORMATS:
        raise BusinessRuleError("bad_format", f"不支持的格式 / unsupported format: {fmt}", status=400)
    content_type, build = FORMATS[fmt]
    data = build(plan)
    rows = sum(spec.model.objects.filter(plan=plan).count() for spec in SECTIONS.values())  # type: ignore[attr-defined]
    ExportLog.objects.create(
        actor=actor,
        request_id=current_request_id.get(),
        what="account_plan",
        format=fmt,
        filters={"plan": plan.pk, "customer": plan.customer_id, "version": plan.version},
        rows=rows,
        pii_unmasked=False,
    )
    safe_name = "".join(ch for ch in plan.customer.name if ch not in '\\/:*?"<>|')[:40]
    return data, f"{safe_name}-客户规划-V{plan.version}.{fmt}", content_type

"""The initial catalog: the real products named in the operators' documents (DOMAIN.md section 4).

Prices are typical list prices of the period, for a working demo; a province edits them as data.
"""

from decimal import Decimal

from django.db import migrations

# code, name, name_en, kind, platform, purpose, parent code, lifecycle, tiering, description
PRODUCTS = [
    ("VPMN", "V网", "Group VPMN", "basic", "voice", "basic_communication", None, "launched", "volume",
     "集团虚拟专用网，成员间短号互拨，网内通话优惠。"),
    ("VPMN-IMS", "IMS融合V网", "IMS fusion VPMN", "sub", "voice", "basic_communication", "VPMN", "launched", "volume",
     "固定电话与手机融合组网的V网。"),
    ("PBX", "移动总机", "Mobile switchboard", "basic", "voice", "basic_communication", None, "launched", "volume",
     "以一个总机号码对外，按分机转接到成员手机。"),
    ("PBX-IMS", "IMS融合总机", "IMS fusion switchboard", "sub", "voice", "basic_communication", "PBX", "launched",
     "volume", "固定与移动分机统一接入的融合总机。"),
    ("IMS-ONE", "IMS一号通", "IMS one number", "basic", "voice", "basic_communication", None, "launched", "volume",
     "一个号码同振多部固话与手机。"),
    ("IMS-FIX", "IMS固话", "IMS fixed line", "basic", "voice", "basic_communication", None, "launched", "volume",
     "基于IMS的商务固定电话。"),
    ("M800", "移动800", "Mobile 800 freephone", "basic", "voice", "service_marketing", None, "launched", "volume",
     "被叫付费的客服热线号码。"),
    ("CONF", "电话会议", "Conference call", "standard", "voice", "basic_communication", None, "launched", "volume",
     "多方电话会议，按时长计费。"),
    ("CRBT", "集团彩铃", "Group colour ring", "basic", "voice", "service_marketing", None, "launched", "volume",
     "成员统一彩铃，宣传企业形象。"),
    ("GSMS", "集团短信", "Group SMS", "basic", "wireless_data", "service_marketing", None, "launched", "graduated",
     "通过行业网关向员工和客户群发短信。"),
    ("GMMS", "集团彩信", "Group MMS", "sub", "wireless_data", "service_marketing", "GSMS", "launched", "volume",
     "通过行业网关群发彩信。"),
    ("QXT", "企信通", "Enterprise messaging (Qixintong)", "standard", "wireless_data", "service_marketing", None,
     "launched", "volume", "标准化短信产品，任何渠道可售。"),
    ("MAS", "移动信息机", "Information machine (MAS)", "basic", "wireless_data", "service_marketing", None,
     "launched", "volume", "部署在企业侧的短信收发终端，对接企业OA等系统。"),
    ("WAP", "无线网站", "Wireless website", "standard", "wireless_data", "service_marketing", None, "launched",
     "volume", "企业手机网站建设与托管。"),
    ("MAIL", "手机邮箱", "Mobile mailbox", "standard", "wireless_data", "service_marketing", None, "launched",
     "volume", "企业邮件推送到手机。"),
    ("LBS", "位置服务", "Location services", "basic", "wireless_data", "production_control", None, "launched",
     "volume", "对员工终端进行定位查询。"),
    ("APN", "APN专线", "APN dedicated line", "basic", "wireless_data", "production_control", None, "launched",
     "volume", "无线专网接入企业内网，用于POS、抄表、监控等。"),
    ("IOT", "物联网卡", "IoT SIM", "basic", "wireless_data", "production_control", None, "launched", "volume",
     "物联网专用号段与流量池。"),
    ("DIA", "互联网专线", "Dedicated Internet access", "basic", "wired_data", "basic_communication", None,
     "launched", "volume", "独享带宽的互联网接入，按带宽计费。"),
    ("GDL", "集团专线", "Group data line", "basic", "wired_data", "basic_communication", None, "launched", "volume",
     "数据/互联专线，连接客户各分支机构。"),
    ("GBB", "集团宽带", "Group broadband", "standard", "wired_data", "basic_communication", None, "launched",
     "volume", "中小企业共享宽带接入。"),
    ("SPJK", "视频监控", "Video surveillance", "industry_app", "industry_app", "production_control", None,
     "launched", "volume", "全球眼类视频监控，按路计费。"),
    ("XXT", "校讯通", "School-parent messaging (Xiaoxuntong)", "industry_app", "industry_app", "service_marketing",
     None, "launched", "volume", "学校与家长间的信息互通。"),
    ("NXT", "农信通", "Agriculture information (Nongxintong)", "industry_app", "industry_app",
     "service_marketing", None, "launched", "volume", "面向农村的农业信息服务。"),
    ("JWT", "警务通", "Police mobile (Jingwutong)", "industry_app", "industry_app", "production_control", None,
     "launched", "volume", "公安移动查询与执法终端。"),
    ("YXT", "银信通", "Bank alerts (Yinxintong)", "industry_app", "industry_app", "service_marketing", None,
     "launched", "volume", "银行账户变动短信提醒。"),
    ("SXT", "商信通", "Business messaging (Shangxintong)", "industry_app", "industry_app", "service_marketing", None,
     "launched", "volume", "面向商户的营销与通知短信应用。"),
    ("CWT", "车务通", "Vehicle management (Chewutong)", "industry_app", "industry_app", "production_control", None,
     "launched", "volume", "车辆定位、调度与轨迹管理。"),
    ("WGT", "物管通", "Property management (Wuguantong)", "industry_app", "industry_app", "production_control",
     None, "launched", "volume", "物业巡检、报修与通知。"),
    ("YIXT", "医讯通", "Hospital messaging (Yixuntong)", "industry_app", "industry_app", "service_marketing", None,
     "launched", "volume", "医院预约、检验结果通知。"),
    ("SLT", "商旅通", "Business travel (Shanglvtong)", "industry_app", "industry_app", "service_marketing", None,
     "retired", "volume", "商旅预订与行程提醒（已退市，由新产品替代）。"),
    ("CGT", "城管通", "City management (Chengguantong)", "industry_app", "industry_app", "production_control", None,
     "launched", "volume", "城管巡查、案件上报与调度。"),
    ("YKT", "一卡通", "Campus / city card", "industry_app", "industry_app", "production_control", None, "launched",
     "volume", "校园/园区手机一卡通：门禁、消费、考勤。"),
    ("LLHB", "流量红包", "Data gift packs", "industry_app", "industry_app", "service_marketing", None, "launched",
     "graduated", "企业向客户或员工赠送流量。"),
    ("XSGJ", "销售管家", "Sales force app (Xiaoshou Guanjia)", "industry_app", "industry_app", "production_control",
     None, "launched", "volume", "外勤人员签到、订单与客户拜访管理。"),
    ("SJB", "行业手机报", "Industry mobile newspaper", "industry_app", "industry_app", "service_marketing", None,
     "launched", "volume", "按订阅内容计费的行业资讯手机报。"),
    ("YSX", "云视讯", "Cloud video meeting", "standard", "voice", "basic_communication", None, "development",
     "volume", "云端视频会议（开发中）。"),
    ("5GPN", "5G专网", "5G private network", "basic", "wireless_data", "production_control", None, "planned",
     "volume", "园区级5G专网（规划中）。"),
    ("SME588", "中小企业融合套餐（588元）", "SME bundle (588 yuan)", "bundle", "wired_data", "basic_communication",
     None, "launched", "volume", "固话+宽带+手机统一办理的融合套餐，对标竞争对手588元套餐。"),
    ("SOL-EDU", "智慧校园解决方案", "Smart campus solution", "solution", "industry_app", "production_control", None,
     "launched", "volume", "校讯通、一卡通、视频监控与专线组合，集成商提供校园平台。"),
    ("SOL-LOG", "物流车队管理解决方案", "Fleet management solution", "solution", "industry_app",
     "production_control", None, "launched", "volume", "车务通与APN专线组合，合作伙伴提供车载终端与调度平台。"),
]  # fmt: skip

# code, charging mode, unit, from, to, unit price
BANDS = [
    ("VPMN", "monthly", "元/号码/月", 1, 500, "2"),
    ("VPMN", "monthly", "元/号码/月", 501, None, "3"),
    ("VPMN-IMS", "monthly", "元/号码/月", 1, None, "5"),
    ("PBX", "monthly", "元/分机/月", 1, 50, "5"),
    ("PBX", "monthly", "元/分机/月", 51, None, "4"),
    ("PBX-IMS", "monthly", "元/分机/月", 1, None, "8"),
    ("IMS-ONE", "monthly", "元/号码/月", 1, None, "10"),
    ("IMS-FIX", "monthly", "元/线/月", 1, None, "20"),
    ("M800", "duration", "元/分钟", 1, None, "0.10"),
    ("CONF", "duration", "元/方/分钟", 1, None, "0.15"),
    ("CRBT", "monthly", "元/号码/月", 1, 100, "5"),
    ("CRBT", "monthly", "元/号码/月", 101, 1000, "4"),
    ("CRBT", "monthly", "元/号码/月", 1001, None, "3"),
    ("GSMS", "per_use", "元/条", 1, 100000, "0.05"),
    ("GSMS", "per_use", "元/条", 100001, 1000000, "0.04"),
    ("GSMS", "per_use", "元/条", 1000001, None, "0.03"),
    ("GMMS", "per_use", "元/条", 1, None, "0.20"),
    ("QXT", "per_use", "元/条", 1, None, "0.05"),
    ("MAS", "monthly", "元/台/月", 1, None, "200"),
    ("WAP", "monthly", "元/站点/月", 1, None, "100"),
    ("MAIL", "monthly", "元/用户/月", 1, None, "5"),
    ("LBS", "per_use", "元/次", 1, None, "0.10"),
    ("APN", "monthly", "元/条/月", 1, None, "500"),
    ("APN", "traffic", "元/GB", 1, None, "5"),
    ("IOT", "monthly", "元/卡/月", 1, 1000, "5"),
    ("IOT", "monthly", "元/卡/月", 1001, None, "4"),
    ("DIA", "monthly", "元/Mbps/月", 1, 10, "100"),
    ("DIA", "monthly", "元/Mbps/月", 11, 100, "80"),
    ("DIA", "monthly", "元/Mbps/月", 101, None, "60"),
    ("GDL", "monthly", "元/条/月", 1, None, "1500"),
    ("GBB", "monthly", "元/户/月", 1, None, "120"),
    ("SPJK", "monthly", "元/路/月", 1, None, "40"),
    ("XXT", "monthly", "元/学生/月", 1, None, "5"),
    ("NXT", "monthly", "元/用户/月", 1, None, "3"),
    ("JWT", "monthly", "元/终端/月", 1, None, "30"),
    ("YXT", "per_use", "元/条", 1, None, "0.08"),
    ("SXT", "monthly", "元/用户/月", 1, None, "10"),
    ("CWT", "monthly", "元/车/月", 1, 50, "30"),
    ("CWT", "monthly", "元/车/月", 51, 200, "25"),
    ("CWT", "monthly", "元/车/月", 201, None, "20"),
    ("WGT", "monthly", "元/用户/月", 1, None, "20"),
    ("YIXT", "monthly", "元/用户/月", 1, None, "5"),
    ("SLT", "per_use", "元/次", 1, None, "2"),
    ("CGT", "monthly", "元/终端/月", 1, None, "30"),
    ("YKT", "monthly", "元/卡/月", 1, None, "2"),
    ("LLHB", "traffic", "元/GB", 1, 1000, "3"),
    ("LLHB", "traffic", "元/GB", 1001, None, "2.5"),
    ("XSGJ", "monthly", "元/用户/月", 1, None, "15"),
    ("SJB", "content", "元/份/月", 1, None, "3"),
    ("SME588", "monthly", "元/套/月", 1, None, "588"),
    ("SOL-EDU", "monthly", "元/校/月", 1, None, "3000"),
    ("SOL-LOG", "monthly", "元/车队/月", 1, None, "2000"),
]

BUNDLE_ITEMS = [("SME588", "IMS-FIX", 2), ("SME588", "GBB", 1), ("SME588", "VPMN", 10)]

# solution, product code or None, partner service, partner, description
SOLUTION_COMPONENTS = [
    ("SOL-EDU", "XXT", "", "", "家校互动"),
    ("SOL-EDU", "YKT", "", "", "校园一卡通：门禁、消费、考勤"),
    ("SOL-EDU", "SPJK", "", "", "校园安防视频"),
    ("SOL-EDU", "DIA", "", "", "校园出口带宽"),
    ("SOL-EDU", None, "校园管理平台集成与运维", "省内系统集成商（示例）", "平台建设、终端安装与驻场运维"),
    ("SOL-LOG", "CWT", "", "", "车辆定位与调度"),
    ("SOL-LOG", "APN", "", "", "车载终端回传专网"),
    ("SOL-LOG", None, "车载终端供货与安装", "车载设备供应商（示例）", "北斗/GPS车载终端"),
]


def seed(apps, schema_editor):
    Product = apps.get_model("catalog", "Product")
    PriceBand = apps.get_model("catalog", "PriceBand")
    BundleItem = apps.get_model("catalog", "BundleItem")
    SolutionComponent = apps.get_model("catalog", "SolutionComponent")
    by_code = {}
    for code, name, name_en, kind, platform, purpose, parent, lifecycle, tiering, description in PRODUCTS:
        product, _ = Product.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "kind": kind,
                "platform": platform,
                "purpose": purpose,
                "parent": by_code.get(parent) if parent else None,
                "lifecycle": lifecycle,
                "tiering": tiering,
                "description": description,
            },
        )
        by_code[code] = product
    for code, mode, unit, lo, hi, price in BANDS:
        PriceBand.objects.update_or_create(
            product=by_code[code],
            charging_mode=mode,
            from_qty=lo,
            defaults={"unit": unit, "to_qty": hi, "unit_price": Decimal(price)},
        )
    for bundle, component, qty in BUNDLE_ITEMS:
        BundleItem.objects.update_or_create(
            bundle=by_code[bundle], component=by_code[component], defaults={"quantity": qty}
        )
    for solution, product, service, partner, description in SOLUTION_COMPONENTS:
        SolutionComponent.objects.get_or_create(
            solution=by_code[solution],
            product=by_code[product] if product else None,
            partner_service=service,
            defaults={"partner_name": partner, "description": description},
        )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_extend_catalog_holdings")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

"""The demo city's static tables and the small generators that draw from them.

Everything random here takes the builder's ``random.Random`` so a seed reproduces the city;
nothing reads the global random state or the clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from anxin.core.validators import make_vin
from anxin.network.choices import AreaType, UnitCapability, UnitKind

from .hangzhou import PLACES

DEMO_PASSWORD = "anxin-demo"


def places() -> dict[str, Any]:
    """The shipped table of regions, cities and Hangzhou's districts (see its source note)."""
    return PLACES


def district(name: str) -> dict[str, Any]:
    return next(d for d in places()["districts"] if d["name"] == name)


def in_hangzhou(lat: float, lon: float) -> bool:
    box = places()["hangzhou_bbox"]
    return box["lat"][0] <= lat <= box["lat"][1] and box["lon"][0] <= lon <= box["lon"][1]


def near(rng: random.Random, lat: float, lon: float, max_km: float) -> tuple[float, float]:
    """A point up to ``max_km`` from the given one (uniform over the disc), rounded to ~1 m."""
    distance = max_km * math.sqrt(rng.random())
    bearing = rng.uniform(0, 2 * math.pi)
    dlat = distance * math.cos(bearing) / 111.0
    dlon = distance * math.sin(bearing) / (111.0 * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


# --- People -----------------------------------------------------------------------------
# Surnames roughly by frequency in Zhejiang (陈, 王, 张, 李, 徐 lead there).
SURNAMES = (
    "陈" * 10
    + "王" * 9
    + "张" * 7
    + "李" * 7
    + "徐" * 5
    + "周" * 5
    + "刘" * 5
    + "吴" * 4
    + "杨" * 4
    + "朱" * 3
    + "黄" * 3
    + "孙" * 3
    + "胡" * 3
    + "沈" * 3
    + "金" * 3
    + "赵" * 3
    + "钱林郑何俞蒋方叶汪潘姚许马朱高罗梁宋谢唐韩冯邓曹彭曾袁丁姜范陆郭鲍应楼童邵戴"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林洋文晨峰建国志海东亮"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英玲燕萍红婷雪琳颖倩洁慧佳欣怡梦雨思晶璐丹妍琪蕾"
MOBILE_PREFIXES = (
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


def person_name(rng: random.Random) -> str:
    given = GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE
    length = 2 if rng.random() < 0.7 else 1
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(length))


def unique(draw: Any, seen: set[str]) -> str:
    """Draw until the value is new: phones, plates and VINs are unique in the real world too."""
    while True:
        value = draw()
        if value not in seen:
            seen.add(value)
            return value


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


# Plate characters: letters other than I and O, which plates never use.
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"


def plate(rng: random.Random, prefix: str, nev: str = "") -> str:
    """A plate for ``prefix`` (浙A): five characters, or ``D``/``F`` + five digits for NEVs."""
    if nev:
        return prefix + nev + "".join(rng.choice(DIGITS) for _ in range(5))
    chars = [rng.choice(DIGITS) for _ in range(5)]
    # Ordinary blue plates carry at most two letters; many carry one.
    for pos in rng.sample(range(5), rng.choice((0, 1, 1, 2))):
        chars[pos] = rng.choice(PLATE_LETTERS)
    return prefix + "".join(chars)


# --- Vehicles -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CarModel:
    """A model on sale in China, with the WMI its VINs start with."""

    brand: str
    model: str
    wmi: str
    powertrain: str  # ice | hev | bev (customers.Powertrain)
    nev_plate: str  # "" blue plate, "D" battery electric, "F" plug-in / range-extended
    v800: bool
    warranty_years: int
    weight: int


CAR_MODELS = (
    CarModel("大众", "朗逸", "LSV", "ice", "", False, 3, 10),
    CarModel("大众", "帕萨特", "LSV", "ice", "", False, 3, 5),
    CarModel("大众", "ID.4 X", "LSV", "bev", "D", False, 3, 3),
    CarModel("大众", "速腾", "LFV", "ice", "", False, 3, 7),
    CarModel("大众", "迈腾", "LFV", "ice", "", False, 3, 5),
    CarModel("比亚迪", "汉", "LGX", "bev", "D", False, 6, 6),
    CarModel("比亚迪", "秦PLUS DM-i", "LGX", "hev", "F", False, 6, 9),
    CarModel("比亚迪", "宋PLUS DM-i", "LC0", "hev", "F", False, 6, 7),
    CarModel("比亚迪", "海豚", "LC0", "bev", "D", False, 6, 5),
    CarModel("比亚迪", "元PLUS", "LC0", "bev", "D", False, 6, 4),
    CarModel("吉利", "星越L", "LB3", "ice", "", False, 3, 6),
    CarModel("吉利", "博越L", "LB3", "ice", "", False, 3, 4),
    CarModel("吉利", "帝豪", "LB3", "ice", "", False, 3, 5),
    CarModel("吉利", "几何E", "LB3", "bev", "D", False, 3, 3),
    CarModel("极氪", "极氪001", "L6T", "bev", "D", True, 4, 4),
    CarModel("极氪", "极氪007", "L6T", "bev", "D", True, 4, 2),
    CarModel("特斯拉", "Model Y", "LRW", "bev", "D", False, 4, 6),
    CarModel("特斯拉", "Model 3", "LRW", "bev", "D", False, 4, 3),
    CarModel("哈弗", "哈弗H6", "LGW", "ice", "", False, 3, 5),
    CarModel("丰田", "凯美瑞双擎", "LVG", "hev", "", False, 3, 4),
    CarModel("本田", "雅阁", "LHG", "ice", "", False, 3, 3),
    CarModel("别克", "GL8", "LSG", "ice", "", False, 3, 3),
    CarModel("长安", "CS75 PLUS", "LS5", "ice", "", False, 3, 3),
    CarModel("理想", "理想L6", "LW4", "hev", "F", False, 5, 3),
)
FLEET_MODELS = {
    "ride_hailing": ("几何E", "秦PLUS DM-i", "海豚"),
    "government": ("汉", "帕萨特", "迈腾"),
    "enterprise": ("元PLUS", "朗逸", "宋PLUS DM-i"),
    "logistics": ("ID.4 X", "宋PLUS DM-i", "GL8"),
}
# VIN position 10, the model year, runs in a 30-year cycle (GB 16735 / ISO 3779: I, O, Q, U,
# Z and 0 are never used): 2010 is A, 2024 R, 2026 T.
YEAR_LETTERS = "ABCDEFGHJKLMNPRSTVWXY123456789"
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


def year_code(year: int) -> str:
    return YEAR_LETTERS[(year - 1980) % 30]


def vin(rng: random.Random, car: CarModel, model_year: int, serial: int) -> str:
    """A valid VIN: the model's WMI, a drawn descriptor, check digit, year, plant, serial."""
    descriptor = "".join(rng.choice(VIN_CHARS) for _ in range(5))
    plant = rng.choice("ABCDEFGHJ123456")
    return make_vin(car.wmi + descriptor + year_code(model_year) + plant, f"{serial:06d}")


# --- Network --------------------------------------------------------------------------------
@dataclass(frozen=True)
class OutletSpec:
    code: str
    name: str
    city: str
    district: str  # Hangzhou district (for Hangzhou outlets) or the city district name
    street: str
    capabilities: tuple[str, ...]  # ev, 800v, body, tow
    open_24h: bool = False


OUTLETS = (
    OutletSpec(
        "HZ-XH",
        "杭州西湖安心汽车服务站",
        "330100",
        "西湖区",
        "古墩路",
        ("ev", "800v", "body", "tow"),
        True,
    ),
    OutletSpec(
        "HZ-SC", "杭州上城安心汽车服务站", "330100", "上城区", "秋涛北路", ("ev", "body", "tow")
    ),
    OutletSpec("HZ-GS", "杭州拱墅安心汽车服务站", "330100", "拱墅区", "莫干山路", ("body", "tow")),
    OutletSpec(
        "HZ-BJ", "杭州滨江安心新能源服务中心", "330100", "滨江区", "江南大道", ("ev", "800v", "tow")
    ),
    OutletSpec(
        "HZ-XS",
        "杭州萧山安心汽车服务站",
        "330100",
        "萧山区",
        "市心北路",
        ("ev", "body", "tow"),
        True,
    ),
    OutletSpec(
        "HZ-YH",
        "杭州余杭安心汽车服务站",
        "330100",
        "余杭区",
        "文一西路",
        ("ev", "800v", "body", "tow"),
    ),
    OutletSpec("HZ-LP", "杭州临平安心汽车服务站", "330100", "临平区", "人民大道", ("body", "tow")),
    OutletSpec("HZ-QT", "杭州钱塘安心汽车服务站", "330100", "钱塘区", "青六北路", ("ev", "tow")),
    OutletSpec("HZ-FY", "杭州富阳安心汽车服务站", "330100", "富阳区", "金桥北路", ("body", "tow")),
    OutletSpec("HZ-TL", "桐庐安心汽车服务站", "330100", "桐庐县", "迎春南路", ("tow",)),
    OutletSpec(
        "NB-YZ", "宁波鄞州安心汽车服务站", "330200", "鄞州区", "天童南路", ("ev", "body", "tow")
    ),
    OutletSpec("SX-YC", "绍兴越城安心汽车服务站", "330600", "越城区", "解放北路", ("body", "tow")),
    OutletSpec(
        "GZ-TH",
        "广州天河安心汽车服务站",
        "440100",
        "天河区",
        "黄埔大道西",
        ("ev", "800v", "body", "tow"),
    ),
)
# Which outlet's licence is about to lapse, and which has lapsed: NET-5's blocking rule
# needs both to be visible in the demo.
LICENCE_EXPIRING = "HZ-QT"
LICENCE_EXPIRED = "HZ-FY"

EQUIPMENT = (
    ("汽车故障诊断仪", None),
    ("四轮定位仪", None),
    ("剪式举升机", None),
    ("尾气分析仪", None),
    ("制动检测台", None),
    ("扭力扳手组", None),
    ("绝缘电阻测试仪", "ev"),
    ("动力电池举升平台", "ev"),
    ("800V高压诊断仪", "800v"),
    ("烤漆房", "body"),
    ("车身校正仪", "body"),
)


@dataclass(frozen=True)
class BaseSpec:
    code: str
    name: str
    city: str
    district: str
    street: str
    area: str
    units: int


BASES = (
    BaseSpec("HZB-CB", "杭州城北救援基地", "330100", "拱墅区", "石祥路", AreaType.URBAN, 9),
    BaseSpec("HZB-BJ", "杭州滨江救援基地", "330100", "滨江区", "滨安路", AreaType.URBAN, 9),
    BaseSpec("HZB-LA", "临安救援基地", "330100", "临安区", "衣锦街", AreaType.REMOTE, 5),
    BaseSpec("HZB-TL", "桐庐救援基地", "330100", "桐庐县", "白云源路", AreaType.REMOTE, 4),
    BaseSpec("GZB-TH", "广州天河救援基地", "440100", "天河区", "中山大道西", AreaType.URBAN, 3),
)
# Non-Hangzhou places the demo needs, WGS-84, near each city's named district centre.
OTHER_DISTRICTS = {
    "鄞州区": (29.8170, 121.5470),
    "越城区": (30.0030, 120.5850),
    "天河区": (23.1250, 113.3610),
}

# Unit kinds and the capabilities each usually carries (network.choices.UnitCapability).
C = UnitCapability
UNIT_KINDS = (
    (UnitKind.FLATBED, (C.TOWING, C.FLATBED_TRANSPORT, C.WINCH), (C.EV_HV_KIT,)),
    (UnitKind.TOW_TRUCK, (C.TOWING, C.WINCH, C.JUMP_START), (C.TYRE_CHANGE,)),
    (
        UnitKind.SERVICE_VAN,
        (C.JUMP_START, C.TYRE_CHANGE, C.FUEL_DELIVERY, C.DIAGNOSIS),
        (C.MOBILE_CHARGING, C.EV_HV_KIT),
    ),
)


# --- Customers -----------------------------------------------------------------------------
@dataclass(frozen=True)
class FleetSpec:
    name: str
    kind: str
    city: str
    drivers: int
    outlets: tuple[str, ...]
    labour_discount: str
    parts_discount: str


FLEETS = (
    FleetSpec(
        "杭州市公交集团有限公司",
        "enterprise",
        "330100",
        25,
        ("HZ-SC", "HZ-GS", "HZ-XS"),
        "15.00",
        "8.00",
    ),
    FleetSpec(
        "曹操出行有限公司",
        "ride_hailing",
        "330100",
        60,
        ("HZ-BJ", "HZ-XH", "HZ-YH", "HZ-QT"),
        "20.00",
        "10.00",
    ),
    FleetSpec(
        "杭州市机关事务管理局", "government", "330100", 15, ("HZ-XH", "HZ-SC"), "10.00", "5.00"
    ),
    FleetSpec(
        "顺丰速运（杭州）有限公司", "logistics", "330100", 25, ("HZ-LP", "HZ-YH"), "12.00", "6.00"
    ),
    FleetSpec(
        "如祺出行（广州）科技有限公司", "ride_hailing", "440100", 20, ("GZ-TH",), "18.00", "8.00"
    ),
)

# Share of private customers by city; the south region is small on purpose.
CUSTOMER_CITIES = (("330100", 0.82), ("330200", 0.06), ("330600", 0.05), ("440100", 0.07))
CONSENT_CHANNELS = ("app", "app", "app", "wechat", "phone", "outlet")

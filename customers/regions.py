import math

from django.utils.translation import gettext_lazy as _

# The 34 provincial-level divisions, stored by their Chinese name (what a parcel label
# carries); the English name is the translation shown to English readers.
PROVINCES = [
    ("北京市", _("Beijing")),
    ("天津市", _("Tianjin")),
    ("河北省", _("Hebei")),
    ("山西省", _("Shanxi")),
    ("内蒙古自治区", _("Inner Mongolia")),
    ("辽宁省", _("Liaoning")),
    ("吉林省", _("Jilin")),
    ("黑龙江省", _("Heilongjiang")),
    ("上海市", _("Shanghai")),
    ("江苏省", _("Jiangsu")),
    ("浙江省", _("Zhejiang")),
    ("安徽省", _("Anhui")),
    ("福建省", _("Fujian")),
    ("江西省", _("Jiangxi")),
    ("山东省", _("Shandong")),
    ("河南省", _("Henan")),
    ("湖北省", _("Hubei")),
    ("湖南省", _("Hunan")),
    ("广东省", _("Guangdong")),
    ("广西壮族自治区", _("Guangxi")),
    ("海南省", _("Hainan")),
    ("重庆市", _("Chongqing")),
    ("四川省", _("Sichuan")),
    ("贵州省", _("Guizhou")),
    ("云南省", _("Yunnan")),
    ("西藏自治区", _("Tibet")),
    ("陕西省", _("Shaanxi")),
    ("甘肃省", _("Gansu")),
    ("青海省", _("Qinghai")),
    ("宁夏回族自治区", _("Ningxia")),
    ("新疆维吾尔自治区", _("Xinjiang")),
    ("台湾省", _("Taiwan")),
    ("香港特别行政区", _("Hong Kong")),
    ("澳门特别行政区", _("Macao")),
]

# Where each province's capital lies (latitude, longitude): how far apart two provinces
# are, for choosing the nearest warehouse (catalog.services.inventory.reserve).
PROVINCE_CENTRES = {
    "北京市": (39.9, 116.4),
    "天津市": (39.1, 117.2),
    "河北省": (38.0, 114.5),
    "山西省": (37.9, 112.5),
    "内蒙古自治区": (40.8, 111.7),
    "辽宁省": (41.8, 123.4),
    "吉林省": (43.9, 125.3),
    "黑龙江省": (45.8, 126.6),
    "上海市": (31.2, 121.5),
    "江苏省": (32.1, 118.8),
    "浙江省": (30.3, 120.2),
    "安徽省": (31.8, 117.2),
    "福建省": (26.1, 119.3),
    "江西省": (28.7, 115.9),
    "山东省": (36.7, 117.0),
    "河南省": (34.7, 113.6),
    "湖北省": (30.6, 114.3),
    "湖南省": (28.2, 112.9),
    "广东省": (23.1, 113.3),
    "广西壮族自治区": (22.8, 108.3),
    "海南省": (20.0, 110.3),
    "重庆市": (29.6, 106.5),
    "四川省": (30.7, 104.1),
    "贵州省": (26.6, 106.7),
    "云南省": (25.0, 102.7),
    "西藏自治区": (29.7, 91.1),
    "陕西省": (34.3, 108.9),
    "甘肃省": (36.1, 103.8),
    "青海省": (36.6, 101.8),
    "宁夏回族自治区": (38.5, 106.3),
    "新疆维吾尔自治区": (43.8, 87.6),
    "台湾省": (25.0, 121.5),
    "香港特别行政区": (22.3, 114.2),
    "澳门特别行政区": (22.2, 113.5),
}
EARTH_RADIUS_KM = 6371.0


def distance_km(province_a: str, province_b: str) -> float:
    """Great-circle distance between two provinces' capitals, in km: 0 within one
    province, infinite when either is not a province we know (so it ranks last)."""
    if province_a == province_b and province_a:
        return 0.0
    a, b = PROVINCE_CENTRES.get(province_a), PROVINCE_CENTRES.get(province_b)
    if a is None or b is None:
        return math.inf
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, h)))

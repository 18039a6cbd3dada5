"""The demo catalog's word lists and rules: the category tree with the documents,
information and attributes each category requires, how goods of each leaf category are
made up, the suppliers and the reference data. Read by ``ops.demo.catalog``."""

from dataclasses import dataclass, field

from catalog.models import CategoryAttribute

# --- The category tree -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attr:
    code: str
    name: str
    kind: str = CategoryAttribute.Kind.TEXT
    choices: tuple = ()
    required: bool = False
    filterable: bool = False


def choice(code, name, choices, *, required=False, filterable=True):
    return Attr(code, name, CategoryAttribute.Kind.CHOICE, tuple(choices), required, filterable)


BRAND = Attr("brand", "品牌", required=True, filterable=True)
COLOUR = choice("colour", "颜色", ("黑色", "白色", "灰色", "藏青", "卡其", "红色"), required=True)


@dataclass(frozen=True)
class Noun:
    """A kind of goods, with the attribute values and information that follow from it."""

    name: str
    attrs: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def nouns(*items) -> tuple[Noun, ...]:
    return tuple(item if isinstance(item, Noun) else Noun(item) for item in items)


@dataclass(frozen=True)
class Goods:
    """How to make up goods of one leaf category."""

    code: str  # for model numbers
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    nouns: tuple[Noun, ...]
    price: tuple[int, int]  # yuan, for the cheapest variant
    weight: tuple[int, int]  # grams
    variants: dict = field(default_factory=dict)  # spec axis -> values; SKUs combine them
    attrs: dict = field(default_factory=dict)  # attribute code -> choices to pick from
    info: dict = field(default_factory=dict)  # information key -> choices (templates)
    name: str = "{brand}{sep}{adjective}{noun}"
    brand_attr: str = "brand"  # books: the "brand" word is the publisher


@dataclass(frozen=True)
class Node:
    slug: str
    name: str
    name_en: str
    documents: tuple = ()
    info: tuple = ()
    attributes: tuple = ()
    children: tuple = ()
    goods: Goods | None = None


TREE = (
    Node(
        "food",
        "食品饮料",
        "Food & Drinks",
        documents=("food_permit",),
        info=("ingredients", "shelf_life", "storage"),
        attributes=(BRAND,),
        children=(
            Node(
                "tea",
                "茶叶",
                "Tea",
                attributes=(
                    choice("tea_type", "品类", ("绿茶", "红茶", "乌龙茶", "黑茶", "白茶")),
                    choice("grade", "等级", ("特级", "一级", "二级")),
                ),
                goods=Goods(
                    "TE",
                    ("狮峰", "茗香居", "云岭", "TeaLand", "武夷山房", "西子"),
                    ("明前", "特级", "高山", "手工", "有机", "古树"),
                    nouns(
                        Noun("龙井绿茶", {"tea_type": "绿茶"}),
                        Noun("碧螺春绿茶", {"tea_type": "绿茶"}),
                        Noun("铁观音", {"tea_type": "乌龙茶"}),
                        Noun("大红袍岩茶", {"tea_type": "乌龙茶"}),
                        Noun("正山小种红茶", {"tea_type": "红茶"}),
                        Noun("滇红红茶", {"tea_type": "红茶"}),
                        Noun("普洱熟茶", {"tea_type": "黑茶"}),
                        Noun("白毫银针白茶", {"tea_type": "白茶"}),
                    ),
                    price=(38, 680),
                    weight=(150, 600),
                    variants={"净含量": ("100g", "250g", "500g")},
                    info={"ingredients": ("茶叶",), "shelf_life": ("18个月", "24个月")},
                ),
            ),
            Node(
                "snacks",
                "零食",
                "Snacks",
                attributes=(choice("flavour", "口味", ("原味", "麻辣", "五香", "海苔", "芝士")),),
                goods=Goods(
                    "SN",
                    ("松鼠乐园", "良品小铺", "Crunchy", "味之源", "山野"),
                    ("香脆", "手工", "低糖", "每日", "经典", "原切"),
                    nouns("坚果礼盒", "牛肉干", "海苔卷", "芒果干", "猪肉脯", "薯片", "夏威夷果"),
                    price=(9, 168),
                    weight=(80, 1200),
                    variants={"规格": ("单袋装", "3袋装", "家庭装")},
                    info={
                        "ingredients": ("坚果、白砂糖、食用盐", "牛肉、白砂糖、酱油、香辛料"),
                        "shelf_life": ("6个月", "9个月", "12个月"),
                    },
                ),
            ),
            Node(
                "grain-oil",
                "粮油",
                "Grain & Oil",
                info=("net_content",),
                attributes=(choice("kind", "品类", ("大米", "食用油", "面粉", "杂粮")),),
                goods=Goods(
                    "GO",
                    ("北田", "金谷", "五常农庄", "GoldenField", "鲁花坊"),
                    ("东北", "有机", "一级", "压榨", "精选"),
                    nouns(
                        Noun("五常大米", {"kind": "大米"}, {"ingredients": ("粳稻",)}),
                        Noun("花生油", {"kind": "食用油"}, {"ingredients": ("花生",)}),
                        Noun("菜籽油", {"kind": "食用油"}, {"ingredients": ("油菜籽",)}),
                        Noun("高筋面粉", {"kind": "面粉"}, {"ingredients": ("小麦",)}),
                        Noun("黄小米", {"kind": "杂粮"}, {"ingredients": ("谷子",)}),
                    ),
                    price=(19, 159),
                    weight=(1000, 5200),
                    variants={"净含量": ("1kg", "2.5kg", "5kg")},
                    info={"net_content": ("1kg", "2.5kg", "5kg", "5L")},
                ),
            ),
        ),
    ),
    Node(
        "fresh",
        "生鲜",
        "Fresh",
        documents=("food_permit",),
        info=("shelf_life", "storage", "net_content"),
        attributes=(BRAND, Attr("cold_chain", "冷链配送", "boolean", filterable=True)),
        children=(
            Node(
                "fruit",
                "水果",
                "Fruit",
                goods=Goods(
                    "FR",
                    ("果园直供", "鲜丰", "FreshDay", "山野农场", "赣南果园"),
                    ("新鲜", "当季", "精品", "现摘", "大果"),
                    nouns(
                        "赣南脐橙", "阳光玫瑰葡萄", "红富士苹果", "金煌芒", "丹东草莓", "库尔勒香梨"
                    ),
                    price=(19, 199),
                    weight=(2500, 5500),
                    variants={"规格": ("2.5kg装", "5kg装", "礼盒装")},
                ),
            ),
            Node(
                "meat",
                "肉禽蛋",
                "Meat & Eggs",
                goods=Goods(
                    "ME",
                    ("草原牧歌", "农家鲜", "PrimeCut", "黑猪工坊"),
                    ("冷鲜", "谷饲", "散养", "精选"),
                    nouns("黑猪五花肉", "牛腱子", "土鸡蛋", "羊排", "鸡胸肉", "牛排套餐"),
                    price=(29, 299),
                    weight=(500, 2500),
                    variants={"规格": ("500g", "1kg", "2kg")},
                ),
            ),
            Node(
                "seafood",
                "海鲜水产",
                "Seafood",
                goods=Goods(
                    "SF",
                    ("渔港直达", "海之鲜", "OceanBay", "舟山渔家"),
                    ("鲜活", "冷冻", "野生", "大号"),
                    nouns("大虾", "带鱼段", "帝王蟹", "三文鱼", "鲍鱼", "小黄鱼"),
                    price=(39, 899),
                    weight=(500, 3000),
                    variants={"规格": ("500g", "1kg")},
                ),
            ),
        ),
    ),
    Node(
        "digital",
        "数码电器",
        "Electronics",
        documents=("ccc",),
        info=("model", "power", "warranty"),
        attributes=(BRAND,),
        children=(
            Node(
                "phones",
                "手机",
                "Phones",
                attributes=(
                    choice("network", "网络", ("5G", "4G")),
                    Attr("screen", "屏幕尺寸（英寸）", "number"),
                ),
                goods=Goods(
                    "PH",
                    ("华创", "星辰", "NovaTech", "Orbit", "米粒"),
                    ("旗舰", "轻薄", "长续航", "影像", "游戏"),
                    nouns(
                        Noun("5G智能手机", {"network": "5G"}),
                        Noun("折叠屏手机", {"network": "5G"}),
                        Noun("智能手机 Pro", {"network": "5G"}),
                        Noun("智能手机 Max", {"network": "5G"}),
                        Noun("学生手机 Lite", {"network": "4G"}),
                    ),
                    price=(999, 6999),
                    weight=(170, 260),
                    variants={
                        "颜色": ("曜石黑", "冰川白", "远峰蓝", "薰衣草紫"),
                        "存储容量": ("128GB", "256GB", "512GB"),
                    },
                    attrs={"screen": (6.1, 6.5, 6.7, 6.8)},
                    info={"power": ("5V⎓3A，最高 66W 快充", "最高 120W 快充")},
                ),
            ),
            Node(
                "headphones",
                "耳机",
                "Headphones",
                attributes=(
                    choice("connection", "连接方式", ("蓝牙", "有线"), required=True),
                    Attr("anc", "主动降噪", "boolean", filterable=True),
                ),
                goods=Goods(
                    "EP",
                    ("声悦", "SoundMax", "EchoBeat", "华创", "律动"),
                    ("旗舰", "轻奢", "运动", "经典", "新款", "舒适"),
                    nouns(
                        Noun("蓝牙耳机", {"connection": "蓝牙"}),
                        Noun("降噪蓝牙耳机 Pro", {"connection": "蓝牙", "anc": True}),
                        Noun("骨传导蓝牙耳机", {"connection": "蓝牙", "anc": False}),
                        Noun("有线耳机", {"connection": "有线", "anc": False}),
                        Noun("头戴式降噪耳机", {"connection": "蓝牙", "anc": True}),
                    ),
                    price=(59, 1999),
                    weight=(40, 320),
                    variants={"颜色": ("黑色", "白色", "蓝色")},
                    info={"power": ("5V⎓1A",)},
                ),
            ),
            Node(
                "appliances",
                "小家电",
                "Small Appliances",
                attributes=(
                    Attr("power_w", "功率（W）", "number"),
                    choice("colour", "颜色", ("白色", "黑色", "灰色", "粉色")),
                ),
                goods=Goods(
                    "KA",
                    ("小熊猫", "美居", "HomeChef", "华创", "暖家"),
                    ("家用", "迷你", "智能", "多功能", "静音"),
                    nouns(
                        Noun("电饭煲", {"power_w": 800}),
                        Noun("空气炸锅", {"power_w": 1400}),
                        Noun("电热水壶", {"power_w": 1800}),
                        Noun("破壁料理机", {"power_w": 1000}),
                        Noun("加湿器", {"power_w": 30}),
                        Noun("吹风机", {"power_w": 1600}),
                    ),
                    price=(69, 1299),
                    weight=(600, 6000),
                    variants={"规格": ("标准版", "升级版")},
                    info={"power": ("{power_w}W，220V~ 50Hz",)},
                ),
            ),
        ),
    ),
    Node(
        "apparel",
        "服饰",
        "Apparel",
        info=("material", "size_guide", "care"),
        attributes=(BRAND, COLOUR, choice("season", "季节", ("春夏", "秋冬", "四季"))),
        children=(
            Node(
                "menswear",
                "男装",
                "Menswear",
                goods=Goods(
                    "MW",
                    ("型男衣橱", "UrbanFit", "北极绒", "简约主义", "海澜坊"),
                    ("修身", "宽松", "商务", "休闲", "纯棉", "加绒"),
                    nouns(
                        "衬衫",
                        "Polo衫",
                        "卫衣",
                        Noun("羽绒服", {"season": "秋冬"}, {"material": ("白鸭绒 90%",)}),
                        "牛仔裤",
                        "夹克",
                        Noun("T恤", {"season": "春夏"}),
                    ),
                    price=(59, 899),
                    weight=(200, 1200),
                    variants={"尺码": ("S", "M", "L", "XL", "XXL")},
                ),
            ),
            Node(
                "womenswear",
                "女装",
                "Womenswear",
                goods=Goods(
                    "WW",
                    ("衣之语", "Bloom", "素人", "茉莉花开", "Elle&Co"),
                    ("法式", "复古", "韩版", "高腰", "小香风", "通勤"),
                    nouns("连衣裙", "半身裙", "针织开衫", "风衣", "阔腿裤", "雪纺衬衫"),
                    price=(79, 999),
                    weight=(200, 900),
                    variants={"尺码": ("S", "M", "L", "XL")},
                ),
            ),
            Node(
                "sneakers",
                "运动鞋",
                "Sneakers",
                attributes=(choice("scene", "适用场景", ("跑步", "篮球", "休闲", "训练")),),
                goods=Goods(
                    "SK",
                    ("疾风", "RunPro", "飞步", "StreetKing", "轻跃"),
                    ("透气", "缓震", "轻量", "复古", "网面"),
                    nouns(
                        Noun("跑步鞋", {"scene": "跑步"}),
                        Noun("篮球鞋", {"scene": "篮球"}),
                        Noun("板鞋", {"scene": "休闲"}),
                        Noun("老爹鞋", {"scene": "休闲"}),
                        Noun("训练鞋", {"scene": "训练"}),
                    ),
                    price=(129, 1299),
                    weight=(600, 1100),
                    variants={"尺码": ("38", "39", "40", "41", "42", "43", "44")},
                    info={
                        "material": ("网布、橡胶大底", "超纤皮、EVA中底"),
                        "size_guide": ("按平时尺码选购，脚宽建议大半码",),
                    },
                ),
            ),
        ),
    ),
    Node(
        "beauty",
        "美妆个护",
        "Beauty",
        documents=("cosmetics_filing",),
        info=("ingredients", "net_content", "shelf_life"),
        attributes=(
            BRAND,
            choice("capacity", "容量", ("30ml", "50ml", "100ml", "200ml", "500ml")),
        ),
        children=(
            Node(
                "skincare",
                "护肤",
                "Skincare",
                attributes=(choice("efficacy", "功效", ("补水", "美白", "抗皱", "控油", "修护")),),
                goods=Goods(
                    "SC",
                    ("美肌", "水之源", "PureSkin", "花研", "LumiLab"),
                    ("补水", "保湿", "修护", "焕亮", "温和"),
                    nouns("精华液", "面霜", "爽肤水", "洁面乳", "面膜", "防晒乳"),
                    price=(49, 699),
                    weight=(60, 400),
                    variants={"规格": ("单支装", "两支装")},
                ),
            ),
            Node(
                "makeup",
                "彩妆",
                "Makeup",
                goods=Goods(
                    "MU",
                    ("花研", "GlowUp", "彩妆坊", "LumiLab", "桃花源"),
                    ("哑光", "水润", "持久", "轻薄", "丝绒"),
                    nouns("口红", "粉底液", "眼影盘", "腮红", "睫毛膏", "气垫BB霜"),
                    price=(39, 459),
                    weight=(20, 200),
                    variants={"色号": ("01", "02", "03", "04")},
                    attrs={"capacity": ("30ml",)},
                ),
            ),
            Node(
                "haircare",
                "洗发护发",
                "Hair Care",
                goods=Goods(
                    "HC",
                    ("丝语", "水之源", "HairPure", "草本坊"),
                    ("无硅油", "控油", "滋养", "去屑", "柔顺"),
                    nouns("洗发水", "护发素", "发膜", "护发精油"),
                    price=(29, 199),
                    weight=(300, 1100),
                    variants={"规格": ("单瓶", "两瓶装")},
                    attrs={"capacity": ("200ml", "500ml")},
                ),
            ),
        ),
    ),
    Node(
        "baby",
        "母婴",
        "Mother & Baby",
        documents=("quality_report",),
        info=("suitable_age",),
        attributes=(BRAND,),
        children=(
            Node(
                "formula",
                "奶粉",
                "Formula",
                documents=("food_permit",),
                info=("ingredients", "shelf_life", "storage", "net_content"),
                attributes=(choice("stage", "段数", ("1段", "2段", "3段"), required=True),),
                goods=Goods(
                    "FM",
                    ("贝贝星", "NutriBaby", "牧场之源", "小太阳"),
                    ("有机", "A2蛋白", "精选", "新国标"),
                    nouns(
                        Noun("婴儿配方奶粉", {"stage": "1段"}, {"suitable_age": ("0-6个月",)}),
                        Noun("较大婴儿配方奶粉", {"stage": "2段"}, {"suitable_age": ("6-12个月",)}),
                        Noun("幼儿配方奶粉", {"stage": "3段"}, {"suitable_age": ("12-36个月",)}),
                    ),
                    price=(198, 498),
                    weight=(900, 1900),
                    variants={"规格": ("800g罐装", "800g×2罐")},
                    info={
                        "ingredients": ("生牛乳、乳清蛋白粉、乳糖、植物油、DHA藻油",),
                        "shelf_life": ("24个月",),
                        "net_content": ("800g",),
                        "storage": ("开罐后请于4周内食用完毕，置于阴凉干燥处",),
                    },
                ),
            ),
            Node(
                "toys",
                "玩具",
                "Toys",
                documents=("ccc",),
                info=("material",),
                attributes=(
                    choice("age_range", "适用年龄", ("0-1岁", "1-3岁", "3-6岁", "6岁以上")),
                ),
                goods=Goods(
                    "TY",
                    ("积木王国", "童趣", "小星星", "BrickFun", "LittleStar"),
                    ("益智", "拼装", "早教", "遥控", "木质"),
                    nouns("积木套装", "拼图", "遥控汽车", "毛绒玩具", "磁力片"),
                    price=(29, 599),
                    weight=(200, 2000),
                    variants={"规格": ("标准款", "豪华款")},
                    info={"material": ("ABS塑料", "榉木", "PP棉"), "suitable_age": ("3岁以上",)},
                ),
            ),
            Node(
                "diapers",
                "纸尿裤",
                "Diapers",
                info=("material",),
                attributes=(choice("type", "类型", ("纸尿裤", "拉拉裤")),),
                goods=Goods(
                    "DP",
                    ("贝贝星", "柔护", "SoftCare", "云朵"),
                    ("超薄", "透气", "夜用", "干爽"),
                    nouns(Noun("纸尿裤", {"type": "纸尿裤"}), Noun("拉拉裤", {"type": "拉拉裤"})),
                    price=(59, 239),
                    weight=(1500, 3500),
                    variants={"尺码": ("NB", "S", "M", "L", "XL")},
                    info={"material": ("无纺布、高分子吸水树脂",), "suitable_age": ("0-3岁",)},
                ),
            ),
        ),
    ),
    Node(
        "home",
        "家居",
        "Home",
        info=("material",),
        attributes=(BRAND,),
        children=(
            Node(
                "bedding",
                "家纺",
                "Bedding",
                info=("care",),
                attributes=(choice("style", "风格", ("简约", "北欧", "中式", "田园")),),
                goods=Goods(
                    "BD",
                    ("梦洁居", "HomeJoy", "棉语", "暖巢"),
                    ("全棉", "水洗棉", "天丝", "加厚", "简约"),
                    nouns("四件套", "蚕丝被", "羽绒枕", "夏凉被", "毛毯"),
                    price=(99, 1299),
                    weight=(800, 4000),
                    variants={"尺寸": ("1.5m床", "1.8m床", "2.0m床")},
                    info={"material": ("100%棉", "天丝", "桑蚕丝")},
                ),
            ),
            Node(
                "kitchen",
                "厨具",
                "Kitchenware",
                attributes=(
                    choice("stove", "适用炉灶", ("燃气灶通用", "电磁炉通用", "全炉灶通用")),
                ),
                goods=Goods(
                    "KW",
                    ("厨乐", "HomeChef", "铁匠铺", "德艺"),
                    ("不粘", "304不锈钢", "铸铁", "家用", "加厚"),
                    nouns("炒锅", "汤锅", "刀具套装", "砧板", "保温饭盒"),
                    price=(39, 799),
                    weight=(500, 3500),
                    variants={"规格": ("28cm", "30cm", "32cm")},
                    info={"material": ("304不锈钢", "铸铁", "铝合金")},
                ),
            ),
            Node(
                "storage",
                "收纳",
                "Storage",
                goods=Goods(
                    "ST",
                    ("整理家", "HomeJoy", "收纳宝", "简居"),
                    ("大容量", "可折叠", "透明", "多层"),
                    nouns("收纳箱", "衣物收纳袋", "置物架", "鞋盒"),
                    price=(19, 299),
                    weight=(300, 5000),
                    variants={"规格": ("单个装", "3个装")},
                    info={"material": ("PP塑料", "牛津布", "碳钢")},
                ),
            ),
        ),
    ),
    Node(
        "books",
        "图书",
        "Books",
        attributes=(
            Attr("author", "作者", required=True),
            Attr("publisher", "出版社", filterable=True),
            choice("binding", "装帧", ("平装", "精装")),
        ),
        children=(
            Node(
                "literature",
                "文学",
                "Literature",
                goods=Goods(
                    "BK",
                    ("人民文学社", "译林书坊", "长江文艺社", "北岳书局"),
                    ("山河", "月光", "远方", "时间", "城南", "海边", "人间", "风起"),
                    nouns("往事", "笔记", "故事集", "之歌", "旧事", "岁月"),
                    price=(29, 98),
                    weight=(300, 900),
                    attrs={"author": ("林一舟", "苏晚", "陈默", "周小北", "李青禾")},
                    name="《{adjective}{noun}》",
                    brand_attr="publisher",
                ),
            ),
            Node(
                "kids-books",
                "童书",
                "Children's Books",
                goods=Goods(
                    "BK",
                    ("童趣出版", "小海豚书屋", "绘本馆"),
                    ("小熊", "月亮", "勇敢的", "会飞的", "好奇的"),
                    nouns("绘本", "成长故事", "科普百科", "拼音读物"),
                    price=(19, 128),
                    weight=(200, 1200),
                    attrs={"author": ("安安", "米粒妈妈", "王小豆")},
                    name="《{adjective}{noun}》",
                    brand_attr="publisher",
                ),
            ),
            Node(
                "business",
                "经管",
                "Business",
                goods=Goods(
                    "BK",
                    ("中信经管社", "机械工业书局", "财经书房"),
                    ("增长", "精益", "高效", "底层", "长期"),
                    nouns("思维", "管理学", "战略", "复盘", "领导力"),
                    price=(39, 128),
                    weight=(300, 800),
                    attrs={"author": ("张远航", "Peter Drucker", "刘思齐")},
                    name="《{adjective}{noun}》",
                    brand_attr="publisher",
                ),
            ),
        ),
    ),
    Node(
        "sports",
        "运动户外",
        "Sports & Outdoors",
        info=("material",),
        attributes=(BRAND,),
        children=(
            Node(
                "fitness",
                "健身器材",
                "Fitness",
                goods=Goods(
                    "FT",
                    ("力动", "FitGo", "健将", "CoreMax"),
                    ("家用", "可调节", "静音", "折叠"),
                    nouns("哑铃", "瑜伽垫", "跳绳", "筋膜枪", "动感单车"),
                    price=(29, 1999),
                    weight=(300, 30000),
                    variants={"颜色": ("黑色", "灰色", "粉色")},
                    info={"material": ("TPE", "铸铁包胶", "钢材")},
                ),
            ),
            Node(
                "outdoor",
                "户外装备",
                "Outdoor",
                goods=Goods(
                    "OD",
                    ("山野行者", "TrailBlazer", "探路人", "北纬30"),
                    ("轻量化", "防水", "速干", "双人"),
                    nouns("帐篷", "登山杖", "冲锋衣", "睡袋", "登山包"),
                    price=(59, 1599),
                    weight=(300, 4000),
                    variants={"颜色": ("军绿", "卡其", "橙色")},
                    info={"material": ("尼龙", "涤纶", "碳纤维")},
                ),
            ),
        ),
    ),
    Node(
        "health",
        "医疗保健",
        "Health",
        documents=("medical_device",),
        info=("model", "warranty"),
        attributes=(BRAND, choice("device_class", "器械类别", ("第一类", "第二类"))),
        goods=Goods(
            "MD",
            ("康护", "MediCare", "华创", "安心"),
            ("家用", "便携", "智能", "医用"),
            nouns(
                Noun("电子血压计", {"device_class": "第二类"}),
                Noun("红外体温计", {"device_class": "第二类"}),
                Noun("指夹式血氧仪", {"device_class": "第二类"}),
                Noun("护理垫", {"device_class": "第一类"}),
                Noun("冷敷贴", {"device_class": "第一类"}),
            ),
            price=(19, 899),
            weight=(50, 1500),
        ),
    ),
    Node(
        "pets",
        "宠物",
        "Pets",
        info=("suitable_age",),
        attributes=(BRAND, choice("pet", "适用宠物", ("猫", "狗"), required=True)),
        children=(
            Node(
                "pet-food",
                "宠物主粮",
                "Pet Food",
                info=("ingredients", "shelf_life", "net_content"),
                goods=Goods(
                    "PF",
                    ("PawPal", "宠之味", "喵星厨房", "汪仔"),
                    ("全价", "无谷", "冻干", "鲜肉"),
                    nouns(
                        Noun("成猫粮", {"pet": "猫"}, {"suitable_age": ("1岁以上",)}),
                        Noun("幼猫粮", {"pet": "猫"}, {"suitable_age": ("2-12个月",)}),
                        Noun("成犬粮", {"pet": "狗"}, {"suitable_age": ("1岁以上",)}),
                        Noun("幼犬粮", {"pet": "狗"}, {"suitable_age": ("2-12个月",)}),
                    ),
                    price=(39, 459),
                    weight=(1500, 10500),
                    variants={"净含量": ("1.5kg", "2kg", "10kg")},
                    info={
                        "ingredients": ("鸡肉、鱼肉、豌豆、鱼油", "牛肉、鸡肉、红薯、蛋黄粉"),
                        "shelf_life": ("18个月",),
                        "net_content": ("1.5kg", "2kg", "10kg"),
                    },
                ),
            ),
            Node(
                "pet-supplies",
                "宠物用品",
                "Pet Supplies",
                goods=Goods(
                    "PS",
                    ("PawPal", "萌宠家", "宠物乐园"),
                    ("加厚", "耐咬", "可水洗", "大号"),
                    nouns(
                        Noun("豆腐猫砂", {"pet": "猫"}),
                        Noun("猫抓板", {"pet": "猫"}),
                        Noun("牵引绳", {"pet": "狗"}),
                        Noun("宠物窝", {"pet": "狗"}),
                    ),
                    price=(15, 299),
                    weight=(200, 6000),
                    variants={"规格": ("S", "M", "L")},
                    info={"suitable_age": ("全年龄段",)},
                ),
            ),
        ),
    ),
    Node(
        "bags",
        "箱包",
        "Bags",
        info=("material",),
        attributes=(BRAND, COLOUR),
        children=(
            Node(
                "luggage",
                "拉杆箱",
                "Luggage",
                goods=Goods(
                    "LG",
                    ("行者", "TravelMate", "途尚", "远方客"),
                    ("铝框", "万向轮", "超轻", "静音"),
                    nouns("拉杆箱", "登机箱", "托运箱"),
                    price=(199, 1599),
                    weight=(2500, 5500),
                    variants={"尺寸": ("20英寸", "24英寸", "28英寸")},
                    info={"material": ("PC", "铝镁合金", "ABS+PC")},
                ),
            ),
            Node(
                "backpacks",
                "双肩包",
                "Backpacks",
                goods=Goods(
                    "BP",
                    ("UrbanFit", "行者", "背客", "CityPack"),
                    ("商务", "大容量", "防泼水", "轻便"),
                    nouns("双肩包", "电脑包", "书包", "旅行背包"),
                    price=(59, 699),
                    weight=(500, 1500),
                    info={"material": ("牛津布", "尼龙", "涤纶")},
                ),
            ),
        ),
    ),
)

# Texts shared by the goods of a top-level category.
POINTS = {
    "food": ("产地直发", "新鲜日期", "独立小包装", "无添加防腐剂", "匠心工艺"),
    "fresh": ("产地直采", "顺丰冷链", "坏果包赔", "当日采摘", "全程冷链"),
    "digital": ("全国联保", "正品行货", "以旧换新", "24期分期", "顺丰包邮"),
    "apparel": ("亲肤透气", "不起球", "做工精细", "百搭版型", "运费险"),
    "beauty": ("温和不刺激", "敏感肌可用", "官方授权", "独立封口", "质地清爽"),
    "baby": ("安全材质", "国标检测", "母婴专供", "无荧光剂", "柔软亲肤"),
    "home": ("环保材质", "易清洁", "耐用", "安装简单", "品质保障"),
    "books": ("正版图书", "精美装帧", "名家作品", "畅销好书", "全新塑封"),
    "sports": ("专业品质", "耐磨防滑", "轻便易携", "人体工学", "运动必备"),
    "health": ("医用级", "精准测量", "操作简单", "注册证齐全", "家庭常备"),
    "pets": ("宠物喜爱", "营养均衡", "安全无毒", "耐用易清洁", "兽医推荐"),
    "bags": ("大容量", "防泼水", "静音万向轮", "轻盈耐用", "多隔层收纳"),
}
ORIGINS = {
    "food": ("浙江杭州", "福建安溪", "云南普洱", "黑龙江五常", "山东烟台"),
    "fresh": ("江西赣州", "海南三亚", "辽宁丹东", "内蒙古锡林郭勒", "浙江舟山"),
    "digital": ("广东深圳", "广东东莞", "江苏苏州"),
    "apparel": ("浙江杭州", "广东广州", "福建晋江", "江苏常熟"),
    "beauty": ("上海", "广东广州", "浙江湖州"),
    "baby": ("黑龙江齐齐哈尔", "广东汕头", "福建泉州"),
    "home": ("江苏南通", "浙江宁波", "广东佛山"),
    "books": ("北京", "上海", "江苏南京"),
    "sports": ("浙江金华", "福建厦门", "江苏南通"),
    "health": ("江苏苏州", "广东深圳", "浙江杭州"),
    "pets": ("山东临沂", "河北邢台", "浙江宁波"),
    "bags": ("浙江平湖", "广东广州", "河北白沟"),
}
USAGE = {
    "food": "开袋即食；冲泡类产品请参照包装说明。",
    "fresh": "收货后请尽快冷藏或冷冻保存，解冻后不宜再次冷冻。",
    "digital": "首次使用前请充满电，并阅读随附的使用说明书。",
    "beauty": "洁面后取适量均匀涂抹于面部，避开眼周。",
    "baby": "请在成人监护下使用，冲调水温40-50℃。",
    "health": "使用前请仔细阅读说明书，如有不适请咨询医生。",
}
AFTER_SALES = (
    "支持7天无理由退货（商品完好、不影响二次销售）；质量问题30天内包换，来回运费由商家承担。",
    "签收后7天内可无理由退货；15天内质量问题可换货；提供正规发票。",
)
AFTER_SALES_FRESH = (
    "生鲜商品不支持7天无理由退货；签收24小时内如有腐烂、破损，拍照联系客服可退款或补发。"
)
AFTER_SALES_DEVICES = "支持7天无理由退货；15天内质量问题换新；整机保修期内免费维修，全国联保。"
INFO_DEFAULTS = {
    "ingredients": ("详见包装配料表",),
    "shelf_life": ("12个月", "18个月", "24个月"),
    "storage": ("置于阴凉干燥处，避免阳光直射", "密封保存，开封后请尽快食用"),
    "net_content": ("500g", "1kg", "2.5kg"),
    "model": ("{code}-{n3}", "{code}{n2}0{letter}"),
    "power": ("5V⎓2A", "220V~ 50Hz"),
    "warranty": ("全国联保1年", "全国联保2年", "整机保修1年，电池保修6个月"),
    "material": ("100%棉", "聚酯纤维", "棉混纺"),
    "size_guide": ("S 160/84A，M 165/88A，L 170/92A，XL 175/96A，XXL 180/100A",),
    "care": ("30℃以下水温手洗，不可漂白，中温熨烫", "可机洗，反面晾晒"),
    "suitable_age": ("3岁以上", "全年龄段"),
}
FRESH_INFO = {"shelf_life": ("冷藏7天", "冷冻12个月"), "storage": ("0-4℃冷藏", "-18℃冷冻")}

PROHIBITED_WORDS = (
    ("假货", "假冒伪劣商品"),
    ("高仿", "仿冒品牌商品"),
    ("A货", "仿冒品牌商品"),
    ("枪支", "管制物品"),
    ("弹药", "管制物品"),
    ("管制刀具", "管制物品"),
    ("毒品", "违禁品"),
    ("走私", "来源不合法"),
    ("发票代开", "违法服务"),
)
WAREHOUSES = (
    ("hz", "杭州仓", "浙江省", "杭州市"),
    ("gz", "广州仓", "广东省", "广州市"),
)


@dataclass(frozen=True)
class SupplierSpec:
    name: str
    area: str  # administrative division code in the credit code
    contact: str
    phone: str
    categories: tuple[str, ...]
    documents: tuple[str, ...]
    approved: bool = True
    expiring: str = ""  # a document type that expires in EXPIRING_IN_DAYS


EXPIRING_IN_DAYS = 20
SUPPLIERS = (
    SupplierSpec(
        "杭州西湖茗茶食品有限公司",
        "330106",
        "王建国",
        "13906810001",
        ("food", "fresh"),
        ("food_permit",),
    ),
    SupplierSpec(
        "深圳华创数码科技有限公司",
        "440305",
        "李华",
        "13902550002",
        ("digital", "health"),
        ("ccc", "medical_device"),
    ),
    SupplierSpec(
        "广州衣尚服饰有限公司",
        "440106",
        "陈晓燕",
        "13902000003",
        ("apparel", "bags", "sports"),
        (),
    ),
    SupplierSpec(
        "上海美肌化妆品有限公司",
        "310115",
        "赵丽",
        "13901600004",
        ("beauty",),
        ("cosmetics_filing",),
        expiring="cosmetics_filing",
    ),
    SupplierSpec(
        "北京贝贝母婴用品有限公司",
        "110105",
        "周敏",
        "13901000005",
        ("baby",),
        ("quality_report", "food_permit", "ccc"),
    ),
    SupplierSpec(
        "宁波优居家居用品有限公司",
        "330203",
        "孙强",
        "13905740006",
        ("home", "books", "pets"),
        (),
    ),
    SupplierSpec(
        "苏州新锐电子有限公司",
        "320505",
        "吴磊",
        "13905120007",
        ("digital",),
        ("ccc",),
        approved=False,  # under review: the admin's supplier queue has one to look at
    ),
)

# Goods beyond the listed ones, so the review queue and the history have content.
EXTRA_GOODS = (
    ("submitted",) * 8
    + ("draft",) * 4
    + ("prohibited",) * 2
    + ("rejected",) * 4
    + ("delisted",) * 4
)
REJECTIONS = (
    "主图不清晰，请上传 800×800 以上的实拍图。",
    "商品名称与类目不符，请调整类目后重新提交。",
    "缺少质检报告编号，请补充后重新提交。",
    "价格明显低于市场价，请说明货源。",
)
DELISTINGS = ("季节性下架。", "包装升级，暂停销售。", "供应商调整配送区域。")
PROHIBITED_TEXTS = (
    ("高仿", "外观与专柜一致，高仿精品。"),
    ("走私", "海外走私渠道货源，价格低。"),
)

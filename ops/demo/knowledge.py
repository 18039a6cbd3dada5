"""Demo help centre: six FAQ categories with published articles in Chinese and English,
written to the shop's own rules (the defaults of README's configuration table: free
standard delivery from ¥99, pay within 30 minutes, 7-day no-reason returns, 15 days for
faulty goods, ...), and one draft an editor has not published yet.

Idempotent: categories are found by slug, articles by category and question.
"""

from django.db import transaction

from customers.models import User
from customers.support.models import FaqArticle, FaqCategory
from customers.support.services import knowledge

PUBLISHED, DRAFT = FaqArticle.Status.PUBLISHED, FaqArticle.Status.DRAFT

# (slug, name, English name, [(question, answer, English question, English answer, status)])
CATEGORIES = [
    (
        "delivery",
        "配送与物流",
        "Delivery and tracking",
        [
            (
                "运费怎么算？满多少包邮？",
                "普通快递单笔订单商品金额满 99 元包邮，不满 99 元收取 10 元运费；"
                "加急快递每单 20 元。\n"
                "新疆、西藏、青海地区无论哪种方式，每单另加 15 元偏远地区附加费。"
                "结算页会逐项显示商品金额、运费和优惠，下单前请核对。",
                "How much is shipping? When is it free?",
                "Standard delivery is free for orders with ¥99 or more of goods; below that it "
                "costs ¥10. Express delivery costs ¥20 per order.\nOrders to Xinjiang, Tibet "
                "and Qinghai add a ¥15 remote-area surcharge to either method. The checkout "
                "page shows goods, shipping and discounts line by line before you order.",
                PUBLISHED,
            ),
            (
                "下单后多久发货？怎么查看物流？",
                "付款后订单进入仓库拣货打包，通常 24 小时内发出。发货后您会收到站内消息和邮件，"
                "在“我的订单”中打开订单即可看到承运商、运单号和每一条物流轨迹。"
                "一个订单的商品可能分几个仓库发出，每个包裹单独显示。",
                "When will my order ship, and how do I track it?",
                "Once paid, your order is picked and packed, usually within 24 hours. When it "
                "ships you get a message and an email; open the order under “My orders” to "
                "see the carrier, the tracking number and every tracking event. Goods from "
                "different warehouses travel as separate parcels, each shown on its own.",
                PUBLISHED,
            ),
            (
                "包裹很久没有更新物流怎么办？",
                "如果包裹超过 48 小时没有新的物流信息，系统会自动为您登记物流异常，"
                "并由客服跟进；包裹丢失或送达时破损，我们会为您补发或退款，无需您先垫付。"
                "处理进度会通过站内消息通知您。",
                "My parcel has not moved for days. What now?",
                "When a parcel has had no tracking update for 48 hours we open a logistics "
                "case for it automatically and our team follows it up. If a parcel is lost or "
                "arrives damaged we reship it or refund you; you never pay first. You hear "
                "about every step in your messages.",
                PUBLISHED,
            ),
            (
                "下单后还能修改收货地址吗？",
                "订单提交后地址不能直接修改。订单在付款前或付款后、仓库开始处理前都可以取消，"
                "已付款的订单会原路全额退款；取消后用正确的地址重新下单即可。",
                "Can I change the delivery address after ordering?",
                "An order's address cannot be changed once it is placed. You can cancel the "
                "order before payment, or after payment until the warehouse starts on it; a "
                "paid order is refunded in full to where the money came from. Then order "
                "again with the right address.",
                PUBLISHED,
            ),
            (
                "可以指定送货时间吗？",
                "目前暂不支持指定送货日期和时段，快递员派送前通常会电话联系您。",
                "Can I choose a delivery time?",
                "Choosing a delivery date or time slot is not possible yet; the courier usually "
                "calls before delivering.",
                DRAFT,
            ),
        ],
    ),
    (
        "returns",
        "退换货与售后",
        "Returns and after-sales",
        [
            (
                "支持 7 天无理由退货吗？",
                "支持。签收次日起 7 天内，商品保持完好、不影响二次销售的，可以在订单页点击"
                "“申请售后”选择无理由退货。生鲜食品、定制商品等页面注明不支持无理由退货的除外。"
                "无理由退货的寄回运费由您承担。",
                "Can I return goods without a reason within 7 days?",
                "Yes. Within 7 days from the day after delivery, goods in resaleable condition "
                "can be returned without a reason: choose “Ask for after-sales” on the order "
                "page. Fresh food, custom-made goods and other items marked as not eligible on "
                "their page are excluded. You pay the postage of a no-reason return.",
                PUBLISHED,
            ),
            (
                "商品有质量问题怎么办？",
                "签收次日起 15 天内，商品有质量问题、破损、错发、漏发或与描述不符的，"
                "可以申请退货、换货或仅退款，请上传能看清问题的照片。"
                "经核实属于商品问题的，来回运费由我们承担，并退还订单运费。"
                "一年内的故障可以申请保修维修。",
                "What if the goods are faulty?",
                "Within 15 days from the day after delivery, goods that are faulty, damaged, "
                "wrong, incomplete or not as described can be returned, exchanged or refunded "
                "without return; add photos that show the problem. When the goods were at "
                "fault we pay the postage both ways and refund the shipping fee. Faults within "
                "a year can be repaired under warranty.",
                PUBLISHED,
            ),
            (
                "退货寄到哪里？寄出后要做什么？",
                "售后申请通过后，申请页面会显示退货地址和您的售后单号。请在包裹里附上写有售后单号的"
                "纸条，寄出后在售后单页面填写快递公司和运单号，仓库收到并验货后会尽快处理。",
                "Where do I send a return, and what then?",
                "When your request is approved, its page shows the return address and your "
                "case number. Put a note with the case number in the parcel, then enter the "
                "carrier and tracking number on the case page. The warehouse inspects the "
                "goods as soon as they arrive.",
                PUBLISHED,
            ),
            (
                "退款多久到账？退到哪里？",
                "退款原路退回到您付款的账户。退货的退款在仓库验货后发起，仅退款在审核通过后发起，"
                "一般 1–3 个工作日到账，具体以支付平台为准。"
                "退款金额按商品实付价格计算，已享受的优惠按比例扣除。",
                "How long does a refund take, and where does it go?",
                "Refunds go back to the account you paid with. A return is refunded once the "
                "warehouse has inspected the goods; a refund without return once it is "
                "approved. It usually arrives within 1–3 working days, depending on the "
                "payment provider. You get the price you paid, less the goods' share of any "
                "discount.",
                PUBLISHED,
            ),
        ],
    ),
    (
        "payment",
        "支付与发票",
        "Payment and invoices",
        [
            (
                "下单后多久内需要付款？",
                "请在下单后 30 分钟内完成付款，超时未付款的订单会自动取消，商品重新上架销售。"
                "付款页面会显示最晚付款时间；付款失败可以在订单页点击“重新付款”。",
                "How long do I have to pay?",
                "Please pay within 30 minutes of ordering; unpaid orders are cancelled after "
                "that and their goods go back on sale. The order page shows the deadline, and "
                "“Pay again” lets you retry after a failed payment.",
                PUBLISHED,
            ),
            (
                "支持哪些付款方式？",
                "支持支付宝、微信支付等主流在线支付方式，具体以结算页显示为准。"
                "付款成功以支付平台的通知为准，重复付款的金额会自动原路退回。",
                "Which payment methods can I use?",
                "Common online payment methods such as Alipay and WeChat Pay; the checkout page "
                "shows those available. A payment counts once the provider confirms it, and "
                "any double payment is refunded automatically.",
                PUBLISHED,
            ),
            (
                "怎么开发票？",
                "在结算页填写发票抬头；单位开票请同时填写纳税人识别号（15、18 或 20 位）。"
                "发票信息提交订单后不能修改，请仔细核对。",
                "How do I get an invoice?",
                "Enter the invoice title at checkout; for a company, also its taxpayer ID (15, "
                "18 or 20 characters). Invoice details cannot be changed after the order is "
                "placed, so please check them.",
                PUBLISHED,
            ),
        ],
    ),
    (
        "account",
        "账户与安全",
        "Account and security",
        [
            (
                "怎么注册和登录？",
                "可以用中国大陆手机号或电子邮箱注册，两者都填写的，用任意一个都能登录。"
                "在“我的账户”中可以修改昵称、联系方式和营销信息接收设置。",
                "How do I register and sign in?",
                "Register with a mainland mobile number, an email address or both, and sign in "
                "with either. “My account” lets you change your name, contact details and "
                "whether you receive offers.",
                PUBLISHED,
            ),
            (
                "忘记密码怎么办？",
                "在登录页点击“忘记密码”，输入注册邮箱，我们会发送重置链接。"
                "只用手机号注册、没有邮箱的账户，请联系客服核实身份后处理。",
                "I forgot my password.",
                "Choose “Forgot your password?” on the sign-in page and enter your email "
                "address; we send you a link to set a new one. If your account has a mobile "
                "number but no email, contact our service team to verify who you are.",
                PUBLISHED,
            ),
            (
                "为什么账户被暂时锁定了？",
                "为保护账户安全，同一账户在同一网络连续 5 次密码错误后会被锁定 15 分钟，"
                "请稍后再试，或通过“忘记密码”重置密码。",
                "Why is my account locked?",
                "To protect your account, five wrong passwords in a row from one network lock "
                "it for 15 minutes. Try again later, or reset your password with “Forgot your "
                "password?”.",
                PUBLISHED,
            ),
        ],
    ),
    (
        "promotions",
        "秒杀与优惠",
        "Flash sales and offers",
        [
            (
                "秒杀商品怎么买？有限购吗？",
                "秒杀开始后在活动页或商品页点击购买即可，每件秒杀商品都有每人限购数量，"
                "以页面显示为准。秒杀订单同样需要在 30 分钟内付款，超时未付款的名额会退回活动。",
                "How do flash sales work? Is there a limit?",
                "Once a flash sale starts, buy from the sale page or the product page. Each "
                "sale has a per-shopper limit, shown on the page. Flash-sale orders must be "
                "paid within 30 minutes too; unpaid units go back to the sale.",
                PUBLISHED,
            ),
            (
                "划线价是怎么来的？",
                "商品降价时显示的划线价，不会高于该商品降价前 7 天内的最低售价。"
                "我们在设置价格时和页面展示时都会核对，不符合规则的划线价不会显示。",
                "Where does the crossed-out price come from?",
                "A crossed-out “was” price is never higher than the lowest price of the 7 days "
                "before the reduction. We check this when a price is set and again when the "
                "page is shown; a “was” price that breaks the rule is not displayed.",
                PUBLISHED,
            ),
            (
                "商品要涨价或降价，会提前通知吗？",
                "已确定的调价会在商品页提前公示“价格变动提示：自某时起该商品售价为……”。"
                "下单时如果价格已经变化，结算页会提示您确认新的金额，不会按未展示的价格扣款。",
                "Do you announce price changes?",
                "Approved price changes are announced on the product page ahead of time: "
                "“Price change notice: from … this item will cost …”. If a price changes "
                "while you check out, you are asked to confirm the new total; you are never "
                "charged a price you were not shown.",
                PUBLISHED,
            ),
        ],
    ),
    (
        "quality",
        "商品质量",
        "Product quality",
        [
            (
                "商品都是正品吗？",
                "平台只销售资质齐全的供应商的商品：供应商须提供营业执照及所售品类要求的许可证，"
                "商品上架前经过审核。资质过期的供应商会被暂停，其商品立即下架。",
                "Are the goods genuine?",
                "We sell only goods of qualified suppliers: each supplies its business licence "
                "and every permit its categories require, and every item is reviewed before it "
                "goes on sale. A supplier whose documents lapse is suspended and its goods are "
                "taken off sale at once.",
                PUBLISHED,
            ),
            (
                "平台如何抽检商品质量？",
                "我们每月按比例抽检各供应商在售的商品，抽检不合格的商品立即下架；"
                "一年内多次不合格的供应商会被暂停合作。顾客的评价和投诉也会作为抽检的重点参考。",
                "How do you check quality?",
                "Every month we spot-check a share of each supplier's goods on sale. Goods that "
                "fail are taken off sale at once, and a supplier that fails repeatedly within a "
                "year is suspended. Shoppers' reviews and complaints guide which goods we check.",
                PUBLISHED,
            ),
            (
                "收到的商品和描述不符怎么办？",
                "签收次日起 15 天内可以选择“与描述不符”申请售后并上传照片，"
                "核实后可退货、换货或退款，来回运费由我们承担。也欢迎您在评价中如实反馈。",
                "The item is not as described.",
                "Within 15 days from the day after delivery, ask for after-sales with the "
                "reason “not as described” and add photos. Once checked, you can return, "
                "exchange or be refunded, and we pay the postage both ways. An honest review "
                "helps other shoppers too.",
                PUBLISHED,
            ),
        ],
    ),
]


@transaction.atomic
def seed() -> None:
    """Create the demo help centre once; running it again adds and changes nothing."""
    editor = User.objects.filter(email="operator@mall.example").first()
    for position, (slug, name, name_en, articles) in enumerate(CATEGORIES):
        category, _created = FaqCategory.objects.get_or_create(
            slug=slug, defaults={"name": name, "name_en": name_en, "position": position}
        )
        existing = set(category.articles.values_list("title", flat=True))
        for order, (title, body, title_en, body_en, status) in enumerate(articles):
            if title in existing:
                continue
            article = FaqArticle(
                category=category,
                title=title,
                body=body,
                title_en=title_en,
                body_en=body_en,
                status=status,
                position=order,
            )
            knowledge.save_article(article=article, actor=editor)

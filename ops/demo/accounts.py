"""Demo accounts: one per staff role, and a few shoppers with addresses."""

from django.db import transaction

from customers.models import Address, User
from mall import roles

DEMO_PASSWORD = "mall-demo-2026"  # noqa: S105  (demo data, refused when DEBUG is off)

STAFF = [
    # email, display name, role (None = superuser)
    ("admin@mall.example", "平台管理员", None),
    ("operator@mall.example", "运营 王敏", roles.OPERATOR),
    ("warehouse@mall.example", "仓库 李强", roles.WAREHOUSE),
    ("agent@mall.example", "客服 陈静", roles.SUPPORT_AGENT),
    ("supervisor@mall.example", "客服主管 赵磊", roles.SUPPORT_SUPERVISOR),
    ("analyst@mall.example", "分析师 周婷", roles.ANALYST),
    # A supplier's own account: the demo catalog links it to the first approved supplier.
    ("supplier@mall.example", "供应商 孙丽", roles.SUPPLIER),
    ("manager@mall.example", "经理 孙悦", roles.MANAGER),
]

SUPPLIER_LOGIN = "supplier@mall.example"

SHOPPERS = [
    # phone, email, display name, address (province, city, district, street)
    (
        "13800000001",
        "shopper1@mall.example",
        "张伟",
        ("浙江省", "杭州市", "西湖区", "文三路 90 号"),
    ),
    ("13800000002", "shopper2@mall.example", "刘洋", ("广东省", "深圳市", "南山区", "科技园 8 栋")),
    ("13800000003", None, "Emma Li", ("上海市", "上海市", "浦东新区", "世纪大道 100 号")),
]


def logins() -> list[tuple[str, str, str]]:
    """(role, login, password) for the README and the start-up banner."""
    rows = [(role or "superuser", email, DEMO_PASSWORD) for email, _, role in STAFF]
    rows += [("shopper", phone, DEMO_PASSWORD) for phone, *_ in SHOPPERS]
    return rows


@transaction.atomic
def seed() -> None:
    """Create or reset the demo accounts; running it again changes nothing else."""
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .code import DEMO_TOTP_KEY_HEX

    for email, name, role in STAFF:
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        user.display_name = name
        user.is_staff = True
        user.is_superuser = role is None
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.set(Group.objects.filter(name=role) if role else [])
        TOTPDevice.objects.update_or_create(
            user=user,
            name="demo authenticator",
            defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
        )

    for phone, email, name, (province, city, district, street) in SHOPPERS:
        user = User.objects.filter(phone=phone).first() or User(phone=phone)
        user.email = email
        user.display_name = name
        user.set_password(DEMO_PASSWORD)
        user.save()
        # Streets are encrypted (a query cannot match them): compare in Python.
        if not any(address.street == street for address in user.addresses.all()):
            Address.objects.create(
                user=user,
                street=street,
                recipient=name,
                mobile=phone,
                province=province,
                city=city,
                district=district,
                is_default=not user.addresses.exists(),
            )

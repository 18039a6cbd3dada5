import factory
from django.contrib.auth.models import Group

from customers.models import Address, User

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"139{n:08d}")
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    display_name = factory.Faker("name", locale="zh_CN")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.is_staff = True
            self.save(update_fields=["is_staff"])
            self.groups.set(Group.objects.filter(name__in=extracted))


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    recipient = "张三"
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    province = "浙江省"
    city = "杭州市"
    district = "西湖区"
    street = "文三路 100 号"
    postal_code = "310000"

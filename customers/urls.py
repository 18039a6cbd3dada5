from django.urls import path

from .views import accounts, addresses, two_factor

app_name = "customers"

urlpatterns = [
    path("register/", accounts.register, name="register"),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("password-reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        accounts.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        accounts.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/complete/",
        accounts.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/", two_factor.second_factor, name="two_factor"),
    path("", accounts.account, name="account"),
    path("messages/", accounts.messages_page, name="messages"),
    path("addresses/", addresses.address_list, name="address_list"),
    path("addresses/new/", addresses.address_edit, name="address_create"),
    path("addresses/<int:pk>/edit/", addresses.address_edit, name="address_edit"),
    path("addresses/<int:pk>/delete/", addresses.address_delete, name="address_delete"),
    path(
        "addresses/<int:pk>/default/", addresses.address_make_default, name="address_make_default"
    ),
]

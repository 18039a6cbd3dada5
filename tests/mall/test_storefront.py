import pytest
from django.test import Client
from django.urls import path

pytestmark = pytest.mark.django_db


def test_home_search_and_cart_render_with_the_site_frame(
    client, reference_cache, django_assert_max_num_queries
):
    # Home: featured and newest goods (the category tree and synonyms from Redis after
    # the first request); search in an empty shop: the count, then the fallbacks (words
    # containing 茶叶, "did you mean": the known words, the same pinyin, the closest one).
    client.get("/")  # the tree into Redis
    client.get("/search/?q=茶叶")  # the synonyms
    for url, queries in (("/", 2), ("/search/?q=茶叶", 5), ("/cart/", 0)):
        with django_assert_max_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="q"' in response.text  # the header's search box
        assert "/cart/" in response.text
        assert "/static/mall/site.css" in response.text


def test_search_echoes_the_query_escaped(client):
    response = client.get("/search/", {"q": "<script>x</script>"})
    assert "<script>x</script>" not in response.text
    assert "&lt;script&gt;x&lt;/script&gt;" in response.text


def test_no_asset_comes_from_another_host(client):
    response = client.get("/")
    for marker in ("http://", "https://", "//cdn"):
        assert f'src="{marker}' not in response.text
        assert f'href="{marker}' not in response.text


def test_unknown_page_gets_the_shops_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.text
    assert "/static/mall/site.css" in response.text


def _boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.urls("tests.mall.test_storefront")
def test_server_error_gets_the_shops_500_page():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.text


def test_signed_in_header_shows_the_account_menu(client, django_user_model):
    user = django_user_model.objects.create_user(email="a@example.com", password="x-long-pass-1")
    client.force_login(user)
    response = client.get("/")
    assert "account-menu" in response.text
    assert "/accounts/logout/" in response.text


def test_api_schema_and_docs_are_served_without_a_cdn(client, settings):
    # WhiteNoise serves from STATIC_ROOT in production (collectstatic); here, from the
    # finders, which is the same set of files without a build step.
    settings.WHITENOISE_USE_FINDERS = True
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi: 3" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "drf_spectacular_sidecar/swagger-ui-dist" in docs.text
    assert "cdn.jsdelivr" not in docs.text and "unpkg.com" not in docs.text
    # The assets it names are really served by the shop.
    asset = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert asset.status_code == 200


def test_product_photos_are_public_but_other_uploads_are_not(client, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    (tmp_path / "products" / "7").mkdir(parents=True)
    (tmp_path / "products" / "7" / "a.jpg").write_bytes(b"jpeg-bytes")
    (tmp_path / "qualifications" / "7").mkdir(parents=True)
    (tmp_path / "qualifications" / "7" / "licence.pdf").write_bytes(b"%PDF-secret")

    photo = client.get("/media/products/7/a.jpg")
    assert photo.status_code == 200
    assert b"".join(photo.streaming_content) == b"jpeg-bytes"
    assert "immutable" in photo["Cache-Control"]

    for url in (
        "/media/qualifications/7/licence.pdf",
        "/media/products/../qualifications/7/licence.pdf",
        "/media/products/%2E%2E/qualifications/7/licence.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"secret" not in response.content

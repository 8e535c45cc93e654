"""An address that leads nowhere gets the site's own page (header, a heading, a way home) in the visitor's
language, at desktop and phone width, instead of Reflex's bare "404: Page not found"."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("viewport, label", [(DESKTOP, "desktop"), (PHONE, "phone")])
def test_an_unknown_address_shows_the_sites_not_found_page(app_url, new_page, viewport, label):
    page = new_page(viewport)
    page.goto(app_url + "/no/such/page")
    expect(page.get_by_role("heading", name="Not found.")).to_be_visible()
    expect(page.get_by_text("The page you are looking for does not exist or is not public.")).to_be_visible()
    expect(page.get_by_text("404: Page not found")).to_have_count(0)
    expect(page.get_by_role("link", name="AqStream")).to_be_visible()  # the site's header
    assert no_horizontal_scroll(page)
    shot(page, f"not-found-{label}")
    page.get_by_role("link", name="Home").click()
    expect(page).to_have_url(app_url + "/")


def test_the_not_found_page_speaks_russian_to_a_russian_browser(app_url, new_page):
    page = new_page(PHONE, locale="ru-RU", extra_http_headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    page.goto(app_url + "/nichego/net")
    expect(page.get_by_role("heading", name="Не найдено.")).to_be_visible()
    expect(page.get_by_role("link", name="Главная")).to_be_visible()

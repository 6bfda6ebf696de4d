"""The header at tablet width (issue 11: "the header fits one line at 768 px"): for every role,
in Chinese and English, with a long name, the header is one row of controls, nothing reaches
past the right edge of the screen and no word is cut (the role name included)."""

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

LONG_NAMES = {"zh": "欧阳慕容思远", "en": "Alexandra Konstantinou"}

EXTRA_PAGES = {"lead": ["/programmes"], "admin": ["/programmes", "/studio", "/people"],
               "author": ["/studio"], "evaluator": [], "viewer": []}

MEASURE = """() => {
  const bar = document.querySelector('header.bar');
  const items = [...bar.querySelectorAll('.brand, nav > *')].filter(e => e.offsetParent !== null);
  const boxes = items.map(e => e.getBoundingClientRect());
  // Cut: a box narrower than its content (an ellipsis, or pills squeezed out of the nav).
  const cut = [...bar.querySelectorAll('*')].filter(e => e.offsetParent !== null &&
      e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.trim());
  return {height: bar.getBoundingClientRect().height, right: Math.max(...boxes.map(b => b.right)),
          rows: new Set(boxes.map(b => Math.round(b.top + b.height / 2))).size,
          width: document.documentElement.clientWidth, cut: cut,
          scroll: document.documentElement.scrollWidth};
}"""


@pytest.fixture
def long_names(app, field):
    from evaluator.auth.models import User

    def rename(lang):
        with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
            for user in db.scalars(select(User)):
                user.display_name = LONG_NAMES[lang]
    return rename


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("role", ["lead", "admin", "author", "evaluator", "viewer"])
@pytest.mark.parametrize("width", [768, 1024])
def test_the_header_is_one_line_on_a_tablet(field, live_server, tablet, fieldday, long_names,
                                            shots, role, lang, width):
    long_names(lang)
    page = tablet(width, 1024 if width == 768 else 768).new_page()
    fieldday.sign_in(page, live_server, role)
    page.goto(live_server + f"/assignments?lang={lang}")
    found = page.evaluate(MEASURE)
    if shots:
        page.screenshot(path=f"{shots}/header-{role}-{lang}-{width}.png",
                        clip={"x": 0, "y": 0, "width": width, "height": 160})
    print(role, lang, found)
    assert found["rows"] == 1, found
    assert found["height"] <= 72, found
    assert found["right"] <= found["width"] and found["scroll"] <= found["width"], found
    assert found["cut"] == [], found
    assert LONG_NAMES[lang] in page.inner_text("header")
    # Every page of the role is one tap away: in the bar, or in the menu that opens on a tap.
    wanted = {"/evaluations", "/assignments", *EXTRA_PAGES[role]}
    if page.is_visible("header .nav-menu > summary"):
        page.tap("header .nav-menu > summary")
    reachable = page.eval_on_selector_all(
        "header nav a.pill", "els => els.filter(e => e.offsetParent !== null).map(e => "
        "[new URL(e.href).pathname, e.getBoundingClientRect().right])")
    assert {path for path, _ in reachable} >= wanted, reachable
    assert all(right <= found["width"] for _, right in reachable), reachable
    if shots and role == "lead":
        page.screenshot(path=f"{shots}/header-menu-{role}-{lang}-{width}.png",
                        clip={"x": 0, "y": 0, "width": width, "height": 400})

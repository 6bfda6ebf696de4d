"""Sign-in, sign-out, the home page and the safety of ``next=``."""


def test_home_is_public_and_chinese_first(client):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert "登录" in html


def test_english_is_switchable_and_remembered(client):
    assert "Sign in" in client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_login_with_the_right_password(client, make_user):
    username, password = make_user(role="lead")
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "lead" in home and "评估指标体系" in home


def test_wrong_password_is_refused_without_saying_which_half(client, make_user):
    username, _ = make_user()
    response = client.post("/auth/login", data={"username": username, "password": "nope"})
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    unknown = client.post("/auth/login", data={"username": "ghost", "password": "nope"})
    assert unknown.status_code == 401


def test_next_never_leaves_the_site(client, make_user):
    username, password = make_user()
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(f"/auth/login?next={target}", data={"username": username, "password": password})
        assert response.headers["Location"] == "/"
        client.post("/auth/logout")
    response = client.post("/auth/login?next=/healthz", data={"username": username, "password": password})
    assert response.headers["Location"] == "/healthz"


def test_logout_needs_a_signed_in_user(client, login):
    assert client.post("/auth/logout").status_code == 302  # to the login page
    login()
    assert client.post("/auth/logout").headers["Location"] == "/"
    assert "登录" in client.get("/").get_data(as_text=True)


def test_inactive_user_cannot_sign_in(app, client, make_user):
    from sqlalchemy import update

    from evaluator.auth.models import User

    username, password = make_user()
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        db.execute(update(User).where(User.username == username).values(active=False))
    assert client.post("/auth/login", data={"username": username, "password": password}).status_code == 401


def test_forms_require_csrf_when_enabled(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    username, password = make_user()
    client = app.test_client()
    response = client.post("/auth/login", data={"username": username, "password": password})
    assert response.status_code == 400
    assert "退出" not in client.get("/").get_data(as_text=True)


def test_repeated_failures_lock_the_account_for_a_while(app, client, make_user):
    from evaluator.auth.throttle import MAX_FAILURES

    username, password = make_user()
    for _ in range(MAX_FAILURES):
        assert client.post("/auth/login", data={"username": username, "password": "wrong"}).status_code == 401
    locked = client.post("/auth/login", data={"username": username, "password": password})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    assert "退出" not in client.get("/").get_data(as_text=True)


def test_the_lock_expires_and_a_success_clears_the_count(app, client, make_user):
    from datetime import timedelta

    from sqlalchemy import select

    from evaluator.auth.models import LoginFailure
    from evaluator.auth.throttle import LOCKOUT, MAX_FAILURES

    username, password = make_user()
    for _ in range(MAX_FAILURES):
        client.post("/auth/login", data={"username": username, "password": "wrong"})
    later = LOCKOUT + timedelta(seconds=1)
    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        for row in db.scalars(select(LoginFailure)):  # move the clock: the lock is in the past
            row.window_start -= later
            if row.locked_until is not None:
                row.locked_until -= later
    assert client.post("/auth/login", data={"username": username, "password": password}).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        keys = set(db.scalars(select(LoginFailure.key)))
    assert f"user:{username}" not in keys


def test_one_failure_short_of_the_limit_still_signs_in(client, make_user):
    from evaluator.auth.throttle import MAX_FAILURES

    username, password = make_user()
    for _ in range(MAX_FAILURES - 1):
        client.post("/auth/login", data={"username": username, "password": "wrong"})
    assert client.post("/auth/login", data={"username": username, "password": password}).status_code == 302


def test_an_office_address_is_not_locked_by_one_users_failures(client, make_user):
    from evaluator.auth.throttle import MAX_FAILURES

    username, _ = make_user(username="careless")
    colleague, password = make_user(username="colleague")
    for _ in range(MAX_FAILURES):
        client.post("/auth/login", data={"username": username, "password": "wrong"})
    assert client.post("/auth/login", data={"username": colleague, "password": password}).status_code == 302


def test_many_failures_from_one_address_lock_it(client, make_user):
    from evaluator.auth.throttle import MAX_FAILURES_PER_ADDRESS

    username, password = make_user()
    for i in range(MAX_FAILURES_PER_ADDRESS):
        client.post("/auth/login", data={"username": f"guess{i}", "password": "wrong"})
    assert client.post("/auth/login", data={"username": username, "password": password}).status_code == 429

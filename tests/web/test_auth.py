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
    assert "评估组长" in home and "评估指标体系" in home  # the role in the header, in Chinese


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


def rewind(app, seconds):
    """Move the throttle's clock: every stored wait and window starts ``seconds`` earlier."""
    from datetime import timedelta

    from sqlalchemy import select

    from evaluator.auth.models import LoginFailure

    with app.extensions["evaluator.sessionmaker"]() as db, db.begin():
        for row in db.scalars(select(LoginFailure)):
            row.window_start -= timedelta(seconds=seconds)
            if row.locked_until is not None:
                row.locked_until -= timedelta(seconds=seconds)


def attempt(client, username, password, address="127.0.0.1"):
    return client.post("/auth/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_failures_from_one_address_slow_that_pair_down_progressively(app, client, make_user):
    from evaluator.auth.throttle import FREE

    username, password = make_user()
    for _ in range(FREE["pair"]):  # the free tries: no wait
        assert attempt(client, username, "wrong").status_code == 401
    waits = []
    for _ in range(4):
        assert attempt(client, username, "wrong").status_code == 401  # counted, then waits
        refused = attempt(client, username, password)  # even the right password waits
        assert refused.status_code == 429
        assert "登录失败次数过多" in refused.get_data(as_text=True)
        waits.append(int(refused.headers["Retry-After"]))
        rewind(app, waits[-1])  # the wait passes
    assert waits == [1, 2, 4, 8]
    assert "退出" not in client.get("/").get_data(as_text=True)
    assert attempt(client, username, password).status_code == 302  # after the wait: in


def test_nobody_elsewhere_can_lock_a_user_out(client, make_user):
    username, password = make_user()
    for _ in range(12):
        attempt(client, username, "wrong", address="203.0.113.9")
    assert attempt(client, username, "wrong", address="203.0.113.9").status_code == 429
    assert attempt(client, username, password, address="198.51.100.4").status_code == 302


def test_a_success_clears_the_pair(app, client, make_user):
    from sqlalchemy import select

    from evaluator.auth.models import LoginFailure
    from evaluator.auth.throttle import FREE

    username, password = make_user()
    for _ in range(FREE["pair"]):
        attempt(client, username, "wrong")
    assert attempt(client, username, password).status_code == 302
    with app.extensions["evaluator.sessionmaker"]() as db:
        keys = set(db.scalars(select(LoginFailure.key)))
    assert f"pair:127.0.0.1|{username}" not in keys and "ip:127.0.0.1" in keys


def test_an_office_address_is_not_slowed_by_one_users_failures(client, make_user):
    from evaluator.auth.throttle import FREE

    username, _ = make_user(username="careless")
    colleague, password = make_user(username="colleague")
    for _ in range(FREE["pair"] + 1):
        attempt(client, username, "wrong")
    assert attempt(client, colleague, password).status_code == 302


def test_spraying_many_names_from_one_address_slows_the_address(client, make_user):
    from evaluator.auth.throttle import FREE

    username, password = make_user()
    for i in range(FREE["ip"] + 1):
        attempt(client, f"guess{i}", "wrong")
    assert attempt(client, username, password).status_code == 429
    assert attempt(client, username, password, address="198.51.100.4").status_code == 302


def test_the_delay_grows_to_a_ceiling():
    from datetime import timedelta

    from evaluator.auth.throttle import FREE, MAX_DELAY, delay_after

    assert delay_after(FREE["pair"], "pair") == timedelta(0)
    assert delay_after(FREE["pair"] + 1, "pair") == timedelta(seconds=1)
    assert delay_after(FREE["pair"] + 11, "pair") == MAX_DELAY == timedelta(minutes=15)
    assert delay_after(10_000, "pair") == MAX_DELAY
    assert delay_after(FREE["ip"], "ip") == timedelta(0)

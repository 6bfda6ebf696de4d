"""UI strings, Chinese first with English beside them. One table; templates call ``t(key)``."""

from __future__ import annotations

LANGUAGES = ("zh", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app_name": ("第三方评估平台", "evaluator"),
    "tagline": ("城市困难职工解困脱困工作成效第三方评估", "Third-party evaluation of hardship relief for urban workers"),
    "home": ("首页", "Home"),
    "sign_in": ("登录", "Sign in"),
    "sign_out": ("退出", "Sign out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "bad_login": ("用户名或密码不正确", "Wrong username or password"),
    "signed_in_as": ("当前用户", "Signed in as"),
    "rubrics": ("评估指标体系", "Rubrics"),
    "surveys": ("调查问卷", "Surveys"),
    "version": ("版本", "Version"),
    "indicators": ("指标", "Indicators"),
    "dimensions": ("维度", "Dimensions"),
    "fields": ("字段", "Fields"),
    "source": ("数据来源", "Source"),
    "none_loaded": ("尚未加载定义，请运行 evaluator load-definitions", "No definitions loaded yet: run evaluator load-definitions"),
    "switch_language": ("English", "中文"),
    "role": ("角色", "Role"),
}


def translate(key: str, lang: str) -> str:
    zh, en = MESSAGES.get(key, (key, key))
    return en if lang == "en" else zh

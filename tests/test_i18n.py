"""The interface speaks Simplified Chinese first and English second, from a complete catalog.

After `manage.py makemessages -l zh_Hans ...` adds strings, translate them, then
`manage.py compilemessages -l zh_Hans --ignore='.venv/*'` and commit the .po with its .mo.
"""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from anxin.accounts.models import User
from anxin.accounts.roles import Role
from anxin.network.models import Region

CATALOG = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES"
# The main catalog, and the feature apps' own catalogs (anxin/<app>/locale/); makemessages run
# from anxin/ (`make messages`) writes each file's strings to the nearest locale directory.
CATALOGS = [CATALOG] + sorted(
    po.parent
    for po in Path(settings.BASE_DIR, "anxin").glob("*/locale/zh_Hans/LC_MESSAGES/django.po")
)


@pytest.fixture(autouse=True)
def product_default_language(settings, english_messages):
    """Undo the suite's English default: these tests are about the product's own default."""
    settings.LANGUAGE_CODE = "zh-hans"
    from django.utils import translation

    with translation.override(None):
        yield


def msgfmt() -> str:
    path = shutil.which("msgfmt")
    if not path:
        pytest.fail(
            "gettext's msgfmt is missing: install Debian's gettext (apt-get install -y gettext)"
        )
    return path


def run_msgfmt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [msgfmt(), *args],
        capture_output=True,
        text=True,
        env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"},
    )


def catalog_of(mo: Path) -> dict:
    with mo.open("rb") as f:
        return dict(gettext.GNUTranslations(f)._catalog)  # type: ignore[attr-defined]


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda c: c.parts[-4])
def test_the_chinese_catalog_is_complete_and_well_formed(catalog):
    PO = catalog / "django.po"
    result = run_msgfmt("--check", "--statistics", "-o", "/dev/null", str(PO))
    report = result.stderr.strip()
    assert result.returncode == 0, report
    assert re.search(r"^\d+ translated messages?\.$", report, re.MULTILINE), (
        f"untranslated or fuzzy messages in {PO}: {report}"
    )


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda c: c.parts[-4])
def test_the_compiled_catalog_matches_the_po_file(catalog, tmp_path):
    PO, MO = catalog / "django.po", catalog / "django.mo"
    compiled = tmp_path / "django.mo"
    result = run_msgfmt("--check-format", "-o", str(compiled), str(PO))
    assert result.returncode == 0, result.stderr
    assert MO.exists(), f"{MO} is missing: run manage.py compilemessages -l zh_Hans"
    # Same messages, whatever gettext version wrote the bytes.
    assert catalog_of(MO) == catalog_of(compiled), (
        f"{MO} is stale: run manage.py compilemessages -l zh_Hans --ignore='.venv/*' and commit it"
    )


def test_the_login_page_is_in_chinese_by_default(client):
    page = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "登录" in page and "用户名" in page and "密码" in page
    assert "Sign in" not in page


@pytest.mark.parametrize("header", ["zh-CN,zh;q=0.9", "zh-Hans", "fr-FR,fr;q=0.9"])
def test_chinese_and_unknown_browser_languages_get_chinese(header):
    page = Client(HTTP_ACCEPT_LANGUAGE=header).get("/login/").content.decode()
    assert "登录" in page


def test_a_browser_asking_for_english_gets_english():
    page = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/login/").content.decode()
    assert '<html lang="en">' in page
    assert "Sign in to Anxin" in page and "Username" in page
    assert "登录" not in page


def test_the_language_cookie_overrides_the_browser():
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/login/").content.decode()
    assert "Sign in to Anxin" in page and "登录" not in page


@pytest.mark.django_db
def test_the_outlet_list_is_titled_with_the_domain_term():
    east = Region.objects.create(code="east", name="华东大区")
    user = User.objects.create_user("dispatcher", password="pw", role=Role.DISPATCHER, region=east)
    client = Client()
    client.force_login(user)
    page = client.get("/network/outlets/").content.decode()
    assert re.search(r"<h1>\s*服务网点", page), page[:2000]
    assert "调度员" in page  # the role in the top bar
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert re.search(r"<h1>\s*[Ss]ervice outlets", client.get("/network/outlets/").content.decode())

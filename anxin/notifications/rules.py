"""The SMS content rules of China's providers, checked before a template is saved.

Aliyun and Tencent Cloud refuse templates that invite ratings or surveys, and accept a link
only as a fixed address on the operator's registered domain: never a variable, never a short
link. A refused template names its reason so the administrator can fix the wording.
"""

from __future__ import annotations

import re
import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from . import conf

# Words that make a message a rating or survey invitation (zh-Hans and English).
FORBIDDEN_WORDS = (
    "好评",
    "差评",
    "评价邀请",
    "邀请评价",
    "邀请您评价",
    "请您评价",
    "五星",
    "打分",
    "评分",
    "问卷",
    "满意度调查",
    "rate us",
    "review us",
    "5-star",
    "five-star",
    "survey",
    "questionnaire",
)
SHORT_LINK_HOSTS = ("t.cn", "dwz.cn", "url.cn", "suo.im", "bit.ly", "tinyurl.com", "s.id")
LINK = re.compile(r"(?:https?://|www\.)[^\s，。；、)）]*", re.IGNORECASE)
LINKISH_NAME = re.compile(r"url|link|href|链接", re.IGNORECASE)


def placeholders(body: str) -> list[str]:
    """Names of the ``{placeholders}`` of a template, in order of first appearance."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise ValidationError(
            _("The template has an unbalanced brace: %(error)s") % {"error": exc}
        ) from exc
    for _literal, name, _spec, _conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise ValidationError(
                _("Placeholder {%(name)s} must be a plain name such as {code}.") % {"name": name}
            )
        if name not in names:
            names.append(name)
    return names


def sms_problems(body: str) -> list[str]:
    """Reasons an SMS template would be refused by the providers (empty when it is fine)."""
    problems: list[str] = []
    lowered = body.lower()
    for word in FORBIDDEN_WORDS:
        if word in lowered:
            problems.append(
                _(
                    "SMS providers refuse messages inviting ratings or surveys (found “%(word)s”); "
                    "send a neutral service-completion notice instead."
                )
                % {"word": word}
            )
    base = conf.public_base_url()
    for match in LINK.finditer(body):
        link = match.group(0)
        host = re.sub(r"^(?:https?://)?", "", link, flags=re.IGNORECASE).split("/")[0].lower()
        if "{" in link or "}" in link:
            problems.append(
                _("A link in an SMS must be fixed; “%(link)s” contains a variable.")
                % {"link": link}
            )
        elif host in SHORT_LINK_HOSTS:
            problems.append(_("Short links are not allowed in SMS (“%(link)s”).") % {"link": link})
        elif not link.lower().startswith(base.lower()):
            problems.append(
                _("A link in an SMS must be on the operator's domain %(base)s, not “%(link)s”.")
                % {"base": base, "link": link}
            )
    for name in placeholders(body):
        if LINKISH_NAME.search(name):
            problems.append(
                _("Placeholder {%(name)s} looks like a link; SMS links must be fixed text.")
                % {"name": name}
            )
    return problems


def render(body: str, context: dict[str, object]) -> str:
    """Fill the placeholders; a missing value is an error rather than a silent blank."""
    missing = [name for name in placeholders(body) if name not in context]
    if missing:
        raise ValueError(f"missing values for placeholders: {', '.join(missing)}")
    return body.format_map({k: "" if v is None else v for k, v in context.items()})

"""Safe rendering of message templates.

Template source comes only from the shipped catalogue or a practice's saved version, never from
a patient: patient values are passed as data into a sandboxed Jinja environment, so
``{{ 7*7 }}`` in a name is printed as typed. HTML parts are autoescaped; plain-text parts and
SMS are not HTML and are rendered without escaping. Undefined names fail (``StrictUndefined``)
and a saved template may use only its catalogue's fields, checked when it is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import StrictUndefined, Template, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from services.errors import ValidationFailed
from services.messaging.template_catalogue import SHIPPED, Kind, Shipped

MAX_SOURCE = 20_000
_html = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
_text = SandboxedEnvironment(autoescape=False, undefined=StrictUndefined)


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    version: int
    subject: str
    text: str
    html: str | None
    sms: str | None


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str | None
    sms: str | None


def shipped(name: str) -> Shipped:
    found = SHIPPED.get(name)
    if found is None:
        raise ValidationFailed("No such message template.", field="name")
    return found


def kind_of(name: str) -> Kind:
    return shipped(name).kind


def default_source(name: str) -> Source:
    spec = shipped(name)
    return Source(name, 0, spec.subject, spec.text, spec.html, spec.sms)


def check(name: str, part: str, source: str, *, html: bool = False) -> None:
    """Refuse source that does not parse or names a field outside the template's catalogue."""
    if len(source) > MAX_SOURCE:
        raise ValidationFailed(f"At most {MAX_SOURCE} characters.", field=part)
    env = _html if html else _text
    try:
        used = meta.find_undeclared_variables(env.parse(source))
    except TemplateError as exc:
        raise ValidationFailed("The template does not parse.", field=part) from exc
    unknown = sorted(used - shipped(name).fields)
    if unknown:
        raise ValidationFailed(f"Unknown template field: {', '.join(unknown)}.", field=part)


@lru_cache(maxsize=512)
def _compiled(source: str, html: bool) -> Template:
    """Compiling is ~1 ms a part; a practice's few templates are compiled once per process."""
    return (_html if html else _text).from_string(source)


def _render(source: str, values: Mapping[str, str], *, html: bool) -> str:
    try:
        return _compiled(source, html).render(**{k: str(v) for k, v in values.items()})
    except TemplateError as exc:  # a field missing from the values: a bug, never patient input
        raise ValidationFailed("The template could not be rendered.", field="template") from exc


def render(source: Source, values: Mapping[str, str]) -> Rendered:
    """Every part of ``source`` with ``values`` as data."""
    return Rendered(
        subject=" ".join(_render(source.subject, values, html=False).split()),
        text=_render(source.text, values, html=False),
        html=None if source.html is None else _render(source.html, values, html=True),
        sms=None if source.sms is None else _render(source.sms, values, html=False),
    )


__all__ = ["Rendered", "Source", "check", "default_source", "kind_of", "render", "shipped"]

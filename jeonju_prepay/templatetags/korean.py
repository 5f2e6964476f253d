"""Korean particles in templates (a builtin, like ``won``); see ``jeonju_prepay.korean``.

- ``{{ shop.name|josa:"을" }}`` → 세탁소를, 꽃집을: the word with the right particle, for
  Korean-only text.
- ``{{ message|particles }}``: a translated text whose marker forms (을(를), 은(는), 이(가),
  과(와), (으)로) are resolved from the word before each; use it on translated strings that
  carry a variable followed by a particle (with ``{% blocktranslate asvar ... %}``).
"""

from __future__ import annotations

from django import template

from jeonju_prepay.korean import attach, particles_resolve

register = template.Library()


@register.filter
def josa(word, which: str) -> str:
    return attach(word, which)


@register.filter(is_safe=True)
def particles(text) -> str:
    return particles_resolve(text)

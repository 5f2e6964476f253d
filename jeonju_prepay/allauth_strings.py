"""allauth's strings that our Korean catalogue words otherwise (LOCALE_PATHS wins over the
package's own catalogue). Listed here so that ``make messages`` keeps them in django.po.

- "Remember Me" is a checkbox that keeps the session open, not "save the ID" (아이디 저장).
- The signed-in message names the person with a particle that depends on the name (김민수 으로):
  ours avoids the particle altogether.
"""

from django.utils.translation import gettext_noop

ALLAUTH_STRINGS = (
    gettext_noop("Remember Me"),
    gettext_noop("Successfully signed in as %(name)s."),
    gettext_noop("You have signed out."),
)

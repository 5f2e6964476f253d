"""Korean particles chosen from the word they follow: 세탁소를, 합의서 #2를, 5%는, 김민수로.

A Korean particle has two forms, and which one follows a word depends on how the word's last
syllable is read: after a final consonant (받침) 은, 이, 을, 과, 으로; after a vowel 는, 가, 를,
와, 로. 으로/로 is the exception: a final ㄹ takes 로 (서울로, 1로 "일로").

Names, numbers and Latin letters are read aloud the Korean way to decide:

- Hangul: the syllable's final consonant (Unicode: (code - 0xAC00) % 28, 0 is none, 8 is ㄹ).
- Numbers: as read in Korean. The last non-zero digit when it is the units digit (2 이, 3 삼,
  7 칠), else the power of ten it stands on (10 십, 300 삼백, 2000 이천, 50000 오만, 1억,
  1조); 0 alone is 영. Thousands separators are ignored: ``12,000`` is 만이천 → ends in 천.
- Latin letters: their Korean names (L 엘, M 엠, N 엔, R 알 end in a consonant; the rest in a
  vowel: A 에이, B 비, ..., Z 제트 is read 지 here, as in most Korean speech).
- ``%`` is 퍼센트 (vowel). Closing brackets, quotes and dots are skipped (``"A동")`` → 동).

Where the reading cannot be told (an emoji, a Chinese character), the marker form "을(를)" is
kept, as a translator would write it.

Translators write the marker forms in Korean strings (``%(shop)s을(를) 변경했습니다``), and
``particles_resolve`` picks the right form wherever the text is shown (messages, form errors,
error pages, the API's error messages): the English strings need no particles at all.
"""

from __future__ import annotations

import re

# The two forms of each particle: (after a final consonant, after a vowel).
PAIRS: dict[str, tuple[str, str]] = {}
for _consonant, _vowel in (("은", "는"), ("이", "가"), ("을", "를"), ("과", "와"), ("으로", "로")):
    PAIRS[_consonant] = PAIRS[_vowel] = (_consonant, _vowel)

_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_RIEUL = 8  # ㄹ's index among the final consonants
# Letters whose Korean names end in a consonant: L 엘, M 엠, N 엔, R 알 (엘 and 알 end in ㄹ).
_LETTER_FINALS = {"L": "ㄹ", "M": "ㅁ", "N": "ㄴ", "R": "ㄹ"}
# Units digits as read: 0 영, 1 일, 2 이, 3 삼, 4 사, 5 오, 6 육, 7 칠, 8 팔, 9 구.
_DIGIT_FINALS = {
    "0": "ㅇ",
    "1": "ㄹ",
    "2": "",
    "3": "ㅁ",
    "4": "",
    "5": "",
    "6": "ㄱ",
    "7": "ㄹ",
    "8": "ㄹ",
    "9": "",
}
_SKIPPED_TAIL = " \t\n)]}>\"'’”」』.,!?"
_FINALS = "ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ"


def _number_final(digits: str) -> str:
    """The final consonant of a number read in Korean ('' for a vowel)."""
    digits = digits.lstrip("0") or "0"
    if digits == "0":
        return "ㅇ"  # 영
    zeros = len(digits) - len(digits.rstrip("0"))
    if zeros == 0:
        return _DIGIT_FINALS[digits[-1]]
    if zeros >= 12:
        return ""  # ...조
    if zeros >= 8:
        return "ㄱ"  # ...억
    if zeros >= 4:
        return "ㄴ"  # ...만
    return {1: "ㅂ", 2: "ㄱ", 3: "ㄴ"}[zeros]  # 십, 백, 천


def final_consonant(word: str) -> str | None:
    """The final consonant of how ``word`` is read in Korean: '' after a vowel, 'ㄹ', another
    jamo, or ``None`` when it cannot be told."""
    text = str(word).rstrip(_SKIPPED_TAIL)
    if not text:
        return None
    last = text[-1]
    code = ord(last)
    if _HANGUL_FIRST <= code <= _HANGUL_LAST:
        index = (code - _HANGUL_FIRST) % 28
        return "" if index == 0 else _FINALS[index - 1]
    if last.isdigit() and last.isascii():
        match = re.search(r"[0-9][0-9,]*$", text)
        return _number_final(match.group(0).replace(",", ""))
    if last.isascii() and last.isalpha():
        return _LETTER_FINALS.get(last.upper(), "")
    if last == "%":
        return ""  # 퍼센트
    return None


def particle(word: str, which: str) -> str:
    """The form of particle ``which`` (either form: 을 or 를, 으로 or 로...) that follows
    ``word``; the marker form, e.g. 을(를), when the reading cannot be told."""
    consonant_form, vowel_form = PAIRS[which]
    final = final_consonant(word)
    if final is None:
        if consonant_form == "으로":
            return "(으)로"
        return f"{consonant_form}({vowel_form})"
    if not final:
        return vowel_form
    if consonant_form == "으로" and final == "ㄹ":
        return vowel_form
    return consonant_form


def attach(word, which: str) -> str:
    """``word`` with the right form of the particle: attach("세탁소", "을") → "세탁소를"."""
    word = str(word)
    return word + particle(word, which)


# The marker forms translators write, either order: 을(를), 를(을), 은(는), 이(가), 과(와),
# 와(과), (으)로.
_MARKER = re.compile(
    r"(을\(를\)|를\(을\)|은\(는\)|는\(은\)|이\(가\)|가\(이\)|과\(와\)|와\(과\)|\(으\)로)"
)


def particles_resolve(text) -> str:
    """Every marker form in ``text`` replaced by the form its preceding word takes:
    "합의서 #2을(를) 확인했습니다" → "합의서 #2를 확인했습니다". A marker after a word whose
    reading cannot be told stays as written."""
    text = str(text)
    if "(" not in text:
        return text
    out: list[str] = []
    position = 0
    for match in _MARKER.finditer(text):
        before = text[: match.start()]
        marker = match.group(0)
        which = "으로" if marker == "(으)로" else marker[0]
        out.append(text[position : match.start()])
        out.append(particle(before, which) if before.strip() else marker)
        position = match.end()
    out.append(text[position:])
    return "".join(out)

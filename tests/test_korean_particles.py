"""Korean particles follow the reading of the word before them (jeonju_prepay.korean)."""

import pytest
from django.template import Context, Template

from jeonju_prepay.korean import attach, final_consonant, particle, particles_resolve


@pytest.mark.parametrize(
    ("word", "eul", "eun", "i", "gwa", "euro"),
    [
        # Hangul: a final consonant, none, and ㄹ (which takes 로).
        ("세탁소", "를", "는", "가", "와", "로"),
        ("꽃집", "을", "은", "이", "과", "으로"),
        ("김민수", "를", "는", "가", "와", "로"),
        ("전주시", "를", "는", "가", "와", "로"),
        ("풍남동", "을", "은", "이", "과", "으로"),
        ("서울", "을", "은", "이", "과", "로"),
        ("가게", "를", "는", "가", "와", "로"),
        ("합의서", "를", "는", "가", "와", "로"),
        ("1단계", "를", "는", "가", "와", "로"),
        ("닭", "을", "은", "이", "과", "으로"),
        ("삶", "을", "은", "이", "과", "으로"),
        ("12,000원", "을", "은", "이", "과", "으로"),
        # Numbers read in Korean: 일 칠 팔 end in ㄹ, 이 사 오 구 in a vowel, 영 삼 육 in others.
        ("합의서 #1", "을", "은", "이", "과", "로"),
        ("합의서 #2", "를", "는", "가", "와", "로"),
        ("3", "을", "은", "이", "과", "으로"),
        ("4", "를", "는", "가", "와", "로"),
        ("5", "를", "는", "가", "와", "로"),
        ("6", "을", "은", "이", "과", "으로"),
        ("7", "을", "은", "이", "과", "로"),
        ("8", "을", "은", "이", "과", "로"),
        ("9", "를", "는", "가", "와", "로"),
        ("0", "을", "은", "이", "과", "으로"),
        ("10", "을", "은", "이", "과", "으로"),  # 십
        ("12", "를", "는", "가", "와", "로"),  # 십이
        ("100", "을", "은", "이", "과", "으로"),  # 백
        ("2000", "을", "은", "이", "과", "으로"),  # 이천
        ("12,000", "을", "은", "이", "과", "으로"),  # 만이천
        ("50000", "을", "은", "이", "과", "으로"),  # 오만
        ("300000000", "을", "은", "이", "과", "으로"),  # 삼억
        ("1000000000000", "를", "는", "가", "와", "로"),  # 일조
        ("2021-01-04", "를", "는", "가", "와", "로"),  # 사
        ("2021-01-31", "을", "은", "이", "과", "로"),  # 삼십일
        ("5%", "를", "는", "가", "와", "로"),  # 퍼센트
        ("10.5%", "를", "는", "가", "와", "로"),
        # Latin letters by their Korean names: 엘 엠 엔 알 end in consonants.
        ("ABC", "를", "는", "가", "와", "로"),  # 씨
        ("Kakao", "를", "는", "가", "와", "로"),  # 오
        ("email", "을", "은", "이", "과", "로"),  # 엘
        ("IBM", "을", "은", "이", "과", "으로"),  # 엠
        ("citizen@demo.kr", "을", "은", "이", "과", "로"),  # 알
        ("PIN", "을", "은", "이", "과", "으로"),  # 엔
        ("Naver", "을", "은", "이", "과", "로"),  # 알
        ("CCTV", "를", "는", "가", "와", "로"),  # 브이
        # Closing brackets and quotes are skipped.
        ("(풍남동)", "을", "은", "이", "과", "으로"),
        ("“빵집”", "을", "은", "이", "과", "으로"),
    ],
)
def test_particle_follows_the_reading_of_the_last_syllable(word, eul, eun, i, gwa, euro):
    assert (particle(word, "을"), particle(word, "를")) == (eul, eul)
    assert (particle(word, "은"), particle(word, "는")) == (eun, eun)
    assert (particle(word, "이"), particle(word, "가")) == (i, i)
    assert (particle(word, "과"), particle(word, "와")) == (gwa, gwa)
    assert (particle(word, "으로"), particle(word, "로")) == (euro, euro)


def test_unknown_reading_keeps_the_marker_form():
    assert final_consonant("🙂") is None
    assert final_consonant("") is None
    assert particle("漢", "을") == "을(를)"
    assert particle("漢", "로") == "(으)로"


def test_attach_joins_word_and_particle():
    assert attach("세탁소", "을") == "세탁소를"
    assert attach("김민수", "으로") == "김민수로"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("세탁소을(를) 변경했습니다.", "세탁소를 변경했습니다."),
        ("합의서 #2을(를) 확인했습니다.", "합의서 #2를 확인했습니다."),
        ("합의서 #13을(를) 반려했습니다.", "합의서 #13을 반려했습니다."),
        ("5%은(는) 부족합니다.", "5%는 부족합니다."),
        ("김민수(으)로 로그인했습니다.", "김민수로 로그인했습니다."),
        ("citizen@demo.kr(으)로 로그인했습니다.", "citizen@demo.kr로 로그인했습니다."),
        ("임대인 김건물와(과) 임차인 꽃집은(는)", "임대인 김건물과 임차인 꽃집은"),
        ("1단계은(는) 회원만, 2단계이(가) 열림", "1단계는 회원만, 2단계가 열림"),
        ("괄호(설명) 그대로", "괄호(설명) 그대로"),
        ("No markers here (none).", "No markers here (none)."),
        ("을(를) 앞에 말이 없음", "을(를) 앞에 말이 없음"),
    ],
)
def test_markers_in_a_translated_text_are_resolved(text, expected):
    assert particles_resolve(text) == expected


def test_template_filters_are_builtins():
    rendered = Template('{{ name|josa:"을" }} / {{ text|particles }}').render(
        Context({"name": "세탁소", "text": "꽃집을(를) 찾았습니다"})
    )
    assert rendered == "세탁소를 / 꽃집을 찾았습니다"

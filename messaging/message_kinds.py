"""Messages of the messaging app itself: sign-in codes, and the city's news (advertising)."""

from .kinds import AUTH, MARKETING, SMS, MessageKind, Text, kind_register, texts

kind_register(
    MessageKind(
        code="messaging.sign_in_code",
        category=AUTH,
        channels=(SMS,),
        sensitive=True,
        templates=texts(
            ko=Text(
                "[{{ city }}] 로그인 인증번호 {{ code }} (3분 안에 입력하세요. 타인에게 알려주지 마세요.)"
            ),
            en=Text("[{{ city }}] Sign-in code {{ code }} (valid 3 minutes; never share it)."),
        ),
    )
)

kind_register(
    MessageKind(
        code="messaging.city_news",
        category=MARKETING,
        alimtalk_template_id="",  # advertising is never a notification talk (Kakao's rule)
        templates=texts(
            ko=Text("[{{ city }}] {{ title }}\n{{ text }}", subject="[{{ city }}] {{ title }}"),
            en=Text("[{{ city }}] {{ title }}\n{{ text }}", subject="[{{ city }}] {{ title }}"),
        ),
    )
)

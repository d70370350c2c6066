"""The phrase rules, each with examples that must match and must not.

Behaviours and their default severities are in `detectors.behaviours`.
"""

from __future__ import annotations

from detectors.phrases import PhraseRule

RULES: tuple[PhraseRule, ...] = (
    PhraseRule(
        "ask_one_time_code",
        "credential_request",
        any_of=(("ASK", "OTP"),),
        none_of=("SELF_SERVICE",),
        secret="VERIFICATION_CODE",
        window_zh=24,
        window_en=64,
        examples=(
            "您好，短信验证码麻烦念给我一下",
            "把刚收到的动态码发过来，我这边帮您操作",
            "手机上那个校验码是多少呀",
            "Could you please read me the code we just sent?",
            "What's the one-time passcode on your screen?",
            "I need the verfication code from the text to continue",
        ),
        counter_examples=(
            "验证码请勿告诉任何人，包括客服人员",
            "验证码已发送，请您在页面上自行输入",
            "We will never ask you for a one-time code.",
            "Please enter the code in the app yourself.",
            "您的快递单号是多少",
        ),
    ),
    PhraseRule(
        "ask_password",
        "credential_request",
        any_of=(("ASK", "PASSWORD"),),
        none_of=("SELF_SERVICE",),
        secret="PASSWORD",
        window_zh=24,
        window_en=64,
        examples=(
            "麻烦把您的登录密码告诉我，我帮您登进去看看",
            "取款密码是多少？",
            "What is your online banking password?",
            "Can you give me the PIN so I can unlock it?",
            "Just tell me your pasword and I'll sort it out",
        ),
        counter_examples=(
            "请不要向任何人透露您的密码",
            "您可以在页面上点击忘记密码，自行重置",
            "To reset your password, use the link on the page.",
            "Never share your PIN with anyone, including us.",
        ),
    ),
    PhraseRule(
        "ask_card_security_code",
        "credential_request",
        any_of=(("ASK", "CVV"),),
        none_of=("SELF_SERVICE",),
        secret="CARD_CVV",
        window_zh=24,
        window_en=64,
        examples=(
            "请把卡背面的三位数字报一下",
            "信用卡安全码是多少",
            "Read me the three digits on the back of the card.",
            "What's the CVV?",
        ),
        counter_examples=(
            "卡片背面的安全码请勿透露给他人",
            "Do not give anyone the security code on the back of your card.",
        ),
    ),
    PhraseRule(
        "move_to_private_channel",
        "private_channel",
        any_of=(
            ("ADD_ME", "PRIVATE_APP"),
            ("ME", "PERSONAL", "PRIVATE_APP"),
            ("OFF_CHANNEL",),
        ),
        none_of=("OFFICIAL",),
        window_zh=12,
        examples=(
            "您加一下我微信，我私下帮您处理",
            "这边聊不方便，加我扣扣吧",
            "有问题直接打我私人手机",
            "我们私聊，这里说不方便",
            "Text me on my personal cell and I'll sort it",
            "Message me on WhatsApp instead, it's quicker",
            "Let's take this offline, email my gmail",
            "Send the photos to my own email",
        ),
        counter_examples=(
            "您可以关注我们的官方公众号查看进度",
            "请拨打我们的客服热线",
            "Please contact our support line for help.",
            "You can reach our official WhatsApp support channel.",
            "我们的微信公众号可以查询进度",
        ),
    ),
    PhraseRule(
        "keep_customer_data",
        "unauthorised_retention",
        any_of=(
            ("CAPTURE", "CUSTOMER_DATA"),
            ("CAPTURE", "WRITE_DOWN"),
            ("WRITE_DOWN", "PRIVATE_STORE"),
            ("STRONG_WRITE", "CUSTOMER_DATA"),
            ("STRONG_WRITE", "LATER"),
            ("WRITE_DOWN", "LATER", "CUSTOMER_DATA"),
        ),
        none_of=("YOU_DO",),
        window_zh=16,
        window_en=60,
        examples=(
            "我先截图存一下您的证件照",
            "您的卡号我抄在本子上了，下回不用再报",
            "资料我保存到我电脑里了",
            "I jotted your card number down on a sticky note",
            "I've saved your details on my phone for next time",
            "I took a screenshot of your passport for later",
            "Noted it down, so you won't have to give it again",
        ),
        counter_examples=(
            "请您拍照上传身份证正反面",
            "您可以截图保存这个工单号",
            "Please upload a photo of the receipt in the app.",
            "Make a note of your ticket number for your records.",
            "系统已为您登记，请放心",
        ),
    ),
    PhraseRule(
        "ask_full_identifier",
        "over_collection",
        any_of=(("FULL", "IDENT"), ("EXTRA_SECRET",)),
        none_of=("SELF_SERVICE",),
        window_zh=8,
        window_en=30,
        examples=(
            "请把完整的身份证号码发给我",
            "需要您的全部卡号才能查",
            "Send me the full card number please",
            "Also, what's your mother's maiden name?",
        ),
        counter_examples=(
            "为了安全，不要发送完整的卡号",
            "Never share your full card number in chat.",
            "Your full name please?",
        ),
    ),
    PhraseRule(
        "ask_many_items",
        "over_collection",
        any_of=(("ASK",),),
        min_items=3,
        none_of=("SELF_SERVICE",),
        window_zh=60,
        window_en=120,
        examples=(
            "麻烦把身份证号、银行卡号、手机号和家庭住址一起发一下",
            "Please send me your card number, expiry, and date of birth",
        ),
        counter_examples=(
            "请提供一下手机号",
            "Please confirm your phone number and email.",
        ),
    ),
    PhraseRule(
        "ask_part_of_identifier",
        "partial_hint",
        any_of=(("TAIL", "ASK"), ("TAIL", "ONLY")),
        window_zh=12,
        window_en=40,
        examples=(
            "您报一下身份证后四位就行",
            "手机尾号是多少",
            "Just the last 4 digits of the card, please",
            "Could you tell me the final four numbers on your card?",
        ),
        counter_examples=(
            "您尾号为8890的卡已经解冻",
            "Your card ending in 4421 has been replaced.",
        ),
    ),
    PhraseRule(
        "ask_again",
        "redundant_verification",
        any_of=(("AGAIN_ASK", "IDENT"), ("AGAIN", "IDENT", "ASK")),
        window_zh=12,
        window_en=40,
        examples=(
            "系统没刷出来，麻烦再报一遍身份证号",
            "卡号您再提供一次",
            "Can you give me the card number again?",
        ),
        counter_examples=(
            "好的，我再帮您查一下物流",
            "Thanks, let me check again.",
        ),
    ),
)

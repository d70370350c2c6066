"""SMS alerts through Amazon SNS: one transactional text message per phone number.

`SmsChannel` publishes straight to each recipient's E.164 number, with no SNS
topic. SMS cannot be edited once sent, so `update` always returns None.
`sms_text` fits an alert's text into one SMS part. `check_e164` validates
numbers when the configuration is loaded, and `sns_client` builds the boto3
client.

This module writes no phone number into a log, an exception message or a
`Delivery`. It uses `mask_number`'s form, which keeps the last four digits.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import boto3
import phonenumbers
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from infra.alerts import Alert, Delivery, Recipient
from infra.errors import ConfigError

log = logging.getLogger(__name__)

# One SMS part is 140 bytes: 160 characters of 7 bits (GSM 03.38), or 70
# UTF-16 code units (UCS-2) when any character is outside the GSM set.
GSM_PART_LIMIT = 160
UCS2_PART_LIMIT = 70

# The GSM 03.38 default alphabet, in table order, without the escape code.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the GSM extension table: each is sent as escape + code.
GSM_EXTENSION = frozenset("\f^{}\\[]~|€")

_GSM_ELLIPSIS = "..."
_UCS2_ELLIPSIS = "\u2026"
_SURROGATE = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_ERROR_CODE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Alphanumeric sender IDs: 1 to 11 letters and digits, at least one letter.
# NOTE: this is the common SMS rule, unconfirmed for SNS, which may accept more.
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}")

SMS_TYPE = "AWS.SNS.SMS.SMSType"
SENDER_ID = "AWS.SNS.SMS.SenderID"


def mask_number(number: str) -> str:
    """Return `number` with every character but its last four digits masked.

    A leading + is kept. A value of eight characters or fewer keeps at most
    its last two, so a short value is never shown nearly whole.
    """
    value = number.strip()
    plus = "+" if value.startswith("+") else ""
    body = value[len(plus) :]
    keep = 4 if len(body) > 8 else min(2, len(body) // 3)

    return plus + "*" * (len(body) - keep) + body[len(body) - keep :]


def check_e164(number: str, where: str) -> str:
    """Return `number` if it is a valid phone number written in E.164 form.

    E.164 form is + then the country code and the national number, digits
    only, as phonenumbers formats it (+8613123456789). The number must be
    valid for its country by phonenumbers' metadata, and not a fixed line,
    which usually cannot receive SMS. Otherwise raise `ConfigError` naming `where`
    (such as "team support, manager Li") and the fix, with the number masked.
    """
    value = number.strip()
    masked = mask_number(value) or "an empty value"
    if not value.startswith("+"):
        raise ConfigError(
            f"{where}: phone {masked} does not start with +; write it in E.164 "
            "form, + then the country code and the number (+86 for mainland "
            "China), digits only"
        )
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ConfigError(
            f"{where}: phone {masked} is not a phone number; write it in E.164 "
            "form, + then the country code and the number, digits only"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ConfigError(
            f"{where}: phone {masked} is not a valid number for its country "
            "code; check the country code and the number of digits"
        )
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if value != e164:
        raise ConfigError(
            f"{where}: phone {masked} is not in E.164 form; remove spaces, "
            "dashes, brackets and any trunk 0 after the country code"
        )
    if phonenumbers.number_type(parsed) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise ConfigError(
            f"{where}: phone {masked} is a fixed line, which usually "
            "cannot receive SMS; give a mobile number"
        )

    return value


def sms_text(alert: Alert, signature: str = "") -> str:
    """Return the text of `alert` fitted into one SMS part.

    The text is `alert.sms_text` when set (stripped, otherwise as given), else
    "<title> | case <case id> | due <deadline>" with the parts that are set
    and runs of whitespace in the title folded into one space. `signature`,
    such as the registered 【brand】 that mainland China requires at the start
    of every SMS, is put in front as given and counts towards the limit.

    Rules, in this order:

    - Unpaired surrogates (from bad decoding) become U+FFFD.
    - If every character is in the GSM 03.38 default alphabet or its
      extension table, the limit is 160 and each extension character
      (``^{}[]~|\\€`` and form feed) counts 2. Otherwise (Chinese text,
      emoji, accented letters outside the table) the limit is 70 UTF-16 code
      units: characters above U+FFFF count 2.
    - A text over the limit is cut at a character boundary and ends with an
      ellipsis: "..." for GSM, which has no "…" and would otherwise switch to
      UCS-2, and "…" for UCS-2. A character above U+FFFF is kept or dropped
      whole, so a surrogate pair is never split.
    - A built text loses the end of its title, so the case id and deadline
      stay. A custom `sms_text` loses its end. The signature is never cut.

    Grapheme clusters made of several code points (flags, emoji with skin
    tones) can still be cut between their code points.
    """
    head = _SURROGATE.sub("\ufffd", signature)
    custom = alert.sms_text.strip()
    if custom:
        return _fit(head, _SURROGATE.sub("\ufffd", custom), "")

    title = _SURROGATE.sub("\ufffd", _SPACES.sub(" ", alert.title).strip())
    tail = ""
    if alert.case_id:
        tail += f" | case {alert.case_id}"
    if alert.deadline:
        tail += f" | due {alert.deadline}"

    return _fit(head, title, _SURROGATE.sub("\ufffd", tail))


def _fit(head: str, body: str, tail: str) -> str:
    """Return head + body + tail, cutting `body` (then `tail`) to fit one part."""
    whole = head + body + tail
    if _is_gsm(whole):
        limit, ellipsis, cost = GSM_PART_LIMIT, _GSM_ELLIPSIS, _gsm_cost
    else:
        limit, ellipsis, cost = UCS2_PART_LIMIT, _UCS2_ELLIPSIS, _ucs2_cost
    if _total(whole, cost) <= limit:
        return whole

    budget = limit - _total(head + tail + ellipsis, cost)
    if budget >= 0:
        return head + _cut(body, budget, cost) + ellipsis + tail
    budget = limit - _total(head + ellipsis, cost)

    return head + _cut(body + tail, max(budget, 0), cost) + ellipsis


def _cut(text: str, budget: int, cost: Callable[[str], int]) -> str:
    """Return the longest start of `text` whose cost is within `budget`."""
    used = 0
    for index, char in enumerate(text):
        used += cost(char)
        if used > budget:
            return text[:index].rstrip()

    return text


def _is_gsm(text: str) -> bool:
    return all(char in GSM_BASIC or char in GSM_EXTENSION for char in text)


def _gsm_cost(char: str) -> int:
    return 2 if char in GSM_EXTENSION else 1


def _ucs2_cost(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _total(text: str, cost: Callable[[str], int]) -> int:
    return sum(cost(char) for char in text)


class SmsChannel:
    """Alert channel that publishes one transactional SMS per phone number.

    `client` is a boto3 SNS client (see `sns_client`). `sender_id` is the
    alphanumeric sender shown where the destination country supports one
    (mainland China, the United States and Canada do not). `signature` is
    put in front of every text, as `sms_text` describes.
    """

    name = "sms"

    def __init__(
        self,
        client: Any,
        *,
        sender_id: str = "",
        signature: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if sender_id and not _SENDER_ID.fullmatch(sender_id):
            raise ConfigError(
                f"SMS sender ID {sender_id[:20]!r} must be 1 to 11 letters and "
                "digits with at least one letter; change it or leave it empty"
            )
        self._client = client
        self._signature = signature
        self._clock = clock
        self._attributes: dict[str, dict[str, str]] = {
            SMS_TYPE: {"DataType": "String", "StringValue": "Transactional"}
        }
        if sender_id:
            self._attributes[SENDER_ID] = {
                "DataType": "String",
                "StringValue": sender_id,
            }

    def send(self, alert: Alert, recipients: Sequence[Recipient]) -> list[Delivery]:
        """Publish `alert` once to each distinct phone number among `recipients`."""
        text = sms_text(alert, self._signature)
        numbers = dict.fromkeys(r.phone.strip() for r in recipients if r.phone.strip())

        return [self._publish(alert.key, number, text) for number in numbers]

    def update(self, ref: str, alert: Alert) -> Delivery | None:
        """Return None: a sent SMS cannot be changed."""
        return None

    def _publish(self, key: str, number: str, text: str) -> Delivery:
        target = mask_number(number)
        started = self._clock()
        try:
            reply = self._client.publish(
                PhoneNumber=number, Message=text, MessageAttributes=self._attributes
            )
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            delivery = Delivery(self.name, target, error=_safe_code(code))
        except BotoCoreError as error:
            delivery = Delivery(self.name, target, error=type(error).__name__)
        else:
            delivery = Delivery(self.name, target, ref=str(reply.get("MessageId", "")))
        elapsed_ms = (self._clock() - started) * 1000
        if delivery.error:
            log.warning(
                "sms alert %s to %s failed: %s in %.0f ms",
                key,
                target,
                delivery.error,
                elapsed_ms,
            )
        else:
            log.info(
                "sms alert %s to %s sent as %s in %.0f ms",
                key,
                target,
                delivery.ref,
                elapsed_ms,
            )

        return delivery


def _safe_code(code: str) -> str:
    """Return an AWS error code, or "ClientError" if it looks like anything else."""
    return code if _ERROR_CODE.fullmatch(code) else "ClientError"


def sns_client(
    region: str,
    endpoint_url: str | None,
    *,
    timeout: float = 10.0,
    max_attempts: int = 3,
) -> Any:
    """Return a boto3 SNS client for `region`.

    Credentials come from the standard AWS chain (environment, shared files,
    the instance or Lambda role). `endpoint_url` replaces AWS's endpoint, for
    moto in tests. `timeout` bounds connecting and each read, in seconds.
    `max_attempts` counts the first try and boto3's retries.
    """
    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": max_attempts, "mode": "standard"},
    )

    return boto3.client(
        "sns", region_name=region, endpoint_url=endpoint_url, config=config
    )

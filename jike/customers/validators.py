"""Identity validation: unified social credit codes (GB 32100-2015) and mainland mobile numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

# Mainland mobile numbers: 11 digits starting 13-19 (phonenumbers confirms the allocation).
MOBILE_PATTERN = r"^1[3-9]\d{9}$"
MOBILE_RE = re.compile(MOBILE_PATTERN)


def normalise_credit_code(value: str) -> str:
    return uscc.compact(value or "")


def validate_credit_code(value: str) -> None:
    try:
        uscc.validate(value)
    except InvalidChecksum as exc:
        raise ValidationError(_("统一社会信用代码校验位错误"), code="credit_code_checksum") from exc
    except InvalidLength as exc:
        raise ValidationError(_("统一社会信用代码应为18位"), code="credit_code_length") from exc
    except (InvalidFormat, InvalidComponent) as exc:
        raise ValidationError(_("统一社会信用代码格式错误"), code="credit_code_format") from exc


def normalise_mobile(value: str) -> str:
    digits = re.sub(r"[\s\-]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def is_valid_mobile(value: str) -> bool:
    return bool(MOBILE_RE.match(value))


def validate_mobile(value: str) -> None:
    if not is_valid_mobile(value):
        raise ValidationError(_("手机号码无效（应为11位中国大陆手机号）"), code="mobile_invalid")

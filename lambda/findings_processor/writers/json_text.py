"""JSON string literals, exactly as json.dumps(..., ensure_ascii=False) writes them."""

from __future__ import annotations

import json

# The string encoder json.dumps(..., ensure_ascii=False) uses (the C one when built). It escapes
# character by character, so quote(a + b) == quote(a)[:-1] + quote(b)[1:]: a quoted value can be
# spliced into a longer string.
quote = json.encoder.encode_basestring

# Bytes the encoder leaves as they are in ASCII text: everything but control characters, the
# quotation mark and the backslash (0x7f is not escaped).
_PLAIN_ASCII = bytes(0 if byte < 0x20 or byte in b'"\\' else 1 for byte in range(256))
_SHORT_TEXT = 64


def quote_text(text: str) -> str:
    """quote(text), faster on the long texts of a finding (titles, descriptions, messages).

    The encoder copies character by character, a few nanoseconds apiece. Most long texts are ASCII
    with nothing to escape, which bytes.translate and one memchr confirm several times faster;
    such a text's literal is the text between quotes. Short text goes straight to the encoder.
    """
    if len(text) > _SHORT_TEXT and text.isascii() and 0 not in text.encode("ascii").translate(_PLAIN_ASCII):
        return f'"{text}"'
    return quote(text)

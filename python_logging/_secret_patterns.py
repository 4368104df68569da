"""What a secret looks like inside a string: the value detectors used by `redaction`.

Each detector is one compiled regex plus, where a regex alone would produce false
positives, a small validator (Luhn and card brand for card numbers, base64 that decodes
to ``user:password`` for Basic credentials). `redaction.Redactor.redact_text` gates
every detector behind cheap substring checks, so the regexes here only run on strings
that already contain a trigger (``@``, ``eyJ``, ``-----``, a vendor prefix, ...).
"""

from __future__ import annotations

import base64
import binascii
import re

# PEM private keys of every type (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... PRIVATE KEY
# [BLOCK]). The whole block goes, BEGIN to END; a block cut short (truncated log line)
# is masked to the end of the text, because what follows BEGIN is key material.
# Certificates and public keys are public and stay.
PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN (?P<kind>(?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----"
    r".*?(?:-----END (?P=kind)-----|\Z)",
    re.DOTALL,
)

# JSON Web Tokens: base64url header and payload both start with `{"` = "eyJ"; the
# signature may be empty (alg "none"). A lone "eyJ..." without two dots is usually a
# base64 JSON pagination cursor, which is not a credential and stays.
JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")

_AWS_ACCESS_KEY_ID = r"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])"
# Vendor tokens whose prefix says what they are. Minimum lengths keep prose such as
# "ghp_ tokens" or "sk-learn" intact. Stripe publishable keys (pk_live_) are designed to
# be public and stay.
VENDOR_TOKEN = re.compile(
    r"(?<![A-Za-z0-9_])(?:"
    r"gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub personal, OAuth, user, server, refresh tokens
    r"|github_pat_[A-Za-z0-9_]{30,}"  # GitHub fine-grained personal access tokens
    r"|xox[abposre]-[A-Za-z0-9-]{10,}"  # Slack bot, user, app, refresh tokens
    r"|xapp-[0-9]-[A-Za-z0-9-]{10,}"  # Slack app-level tokens
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"  # Stripe secret and restricted keys
    r"|whsec_[A-Za-z0-9]{20,}"  # Stripe webhook signing secrets
    rf"|{_AWS_ACCESS_KEY_ID}"  # AWS access key IDs (long-term, STS)
    r"|AIza[A-Za-z0-9_-]{35}"  # Google API keys
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab personal access tokens
    r"|npm_[A-Za-z0-9]{36}"  # npm tokens
    r"|pypi-AgE[A-Za-z0-9_-]{40,}"  # PyPI API tokens (macaroons)
    r"|sk-(?:proj-|svcacct-|admin-|ant-[a-z0-9]+-)?[A-Za-z0-9_-]{20,}"  # OpenAI, Anthropic
    r")"
)

# `Bearer <token>` and `Basic <base64>` (HTTP auth schemes; Authorization header values
# and curl command lines). The regex finds candidates; `auth_token_is_credential` keeps
# prose intact: "the bearer of this letter", "Basic information was updated".
AUTH_SCHEME = re.compile(
    r"(?<![A-Za-z])(?P<scheme>[Bb]earer|BEARER|[Bb]asic|BASIC)(?P<gap>[ \t]+)"
    # token68 (RFC 7235) ends at its `=` padding; text that goes on after the padding
    # ("Bearer x/password=hunter2") is part of the same run and is kept with it, or the
    # mask would eat the key and leave the value.
    r"(?P<token>[A-Za-z0-9._~+/-]{4,}(?:=+[A-Za-z0-9._~+/=-]*)?)"
)


def auth_token_is_credential(scheme: str, token: str) -> bool:
    if scheme.lower() == "bearer":
        return bearer_token_is_credential(token)
    return basic_token_is_credential(token)


def bearer_token_is_credential(token: str) -> bool:
    # 8+ characters with a digit or punctuation: tokens have them, English words do not
    return len(token) >= 8 and not token.isalpha()


def basic_token_is_credential(token: str) -> bool:
    # only base64 that decodes to `user:password`
    padded = token + "=" * (-len(token) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


# HTTP Digest credentials (RFC 7616 §3.4): `Digest username="u", realm="r", nonce="n",
# uri="/x", response="<hash>", ...`. The whole parameter list after the scheme goes:
# `response` together with nonce, cnonce, realm and uri lets anyone test password guesses
# offline, and one span is simpler to reason about than a list of parameters. Only a
# list holding `response=` is credentials; a server's challenge (`WWW-Authenticate:
# Digest realm=..., nonce=...`) has no secret in it and stays. Quoted values may be
# JSON-escaped (`\"`) when the header sits inside a logged JSON document.
_DIGEST_PARAM = (
    r"[A-Za-z][A-Za-z0-9_-]*[ \t]*=[ \t]*"
    r"(?:\\\"[^\"\r\n]*?\\\"|\"[^\"\r\n]*\"|[^\s,\"\\]+)"
)
DIGEST_CREDENTIALS = re.compile(
    r"(?<![A-Za-z])(?P<scheme>[Dd]igest)(?P<gap>[ \t]+)"
    rf"(?P<params>{_DIGEST_PARAM}(?:[ \t]*,[ \t]*{_DIGEST_PARAM})*)"
)
DIGEST_RESPONSE = re.compile(r"(?<![A-Za-z0-9_-])response[ \t]*=")

# `scheme://user:password@host`: the user stays (it says who), the password goes.
# Passwords are taken to hold no `/ ? # @` or whitespace: RFC 3986 requires those to be
# percent-encoded. Emails share the '@' trigger and live in the same regex so that the
# URL alternative, which starts earlier, claims `user:password@host` first and the email
# rule never sees (and half-reveals) a password.
# Not emails: `git@github.com:org/repo` (an SSH remote, not a person) and asset names
# such as `icon@2x.png`, whose "top-level domain" is a file extension.
URL_PASSWORD_OR_EMAIL = re.compile(
    r"(?P<url>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?#@]*:)(?P<password>[^\s/?#@]+)@"
    r"|(?<![A-Za-z0-9._%+-])(?!git@)(?P<first>[A-Za-z0-9])[A-Za-z0-9._%+-]*"
    r"@(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.(?!(?:png|jpe?g|gif|svg|webp|ico|css|js|json|html?|txt|log|pdf|ya?ml|xml|csv|gz)\b)"
    r"[A-Za-z]{2,})(?![A-Za-z0-9-])"
)
# Emails keep the first character of the local part and the domain: enough to tell
# customers and tenants apart while debugging, not enough to contact anyone. The '*'
# cannot start an email, so a masked address is never masked again.
EMAIL_MASK = "***"

# `key=value`, `key: value`, `"key": "value"`, `'key': 'value'`, `?key=value&`: the key
# is checked with the same rule as dict keys (`Redactor.is_sensitive_key`), so
# `token_count=5` stays and `db_password=x` goes. Scanning forwards for every identifier
# is slow; instead the redactor finds each '=' or ':' and reads the key *backwards* by
# matching REVERSED_KEY on the reversed text (an anchored match, no scanning). The key
# is `[A-Za-z_][A-Za-z0-9_.-]*`, not preceded by a letter, digit, '_' or '.' (dashes
# may precede it: `--password=x`), optionally followed by a closing quote (JSON, Python
# repr) and blanks. The value may follow `=>` (Ruby, PHP, Logstash) or `:=` (Go).
SEPARATOR = re.compile(r"[=:]")
REVERSED_KEY = re.compile(
    r"[ \t]*(?P<quote>[\"']\\?)?(?P<yek>[A-Za-z0-9_.-]*[A-Za-z_])(?![A-Za-z0-9_.])"
)
PAIR_VALUE = re.compile(
    r"(?:(?<==)>|(?<=:)=)?[ \t]*"
    r"(?:(?P<open>\\?[\"'])(?P<quoted>(?:(?!(?P=open))(?:\\.|[^\n]))*)"  # quoted
    r"|(?P<bare>[^\s\"'&,;<>{}\[\]]+))"  # bare: up to a space, quote or query separator
)
# HTTP header lines whose whole value is a credential (`Cookie: a=1; b=2`): everything to
# the end of the line goes, except a leading auth scheme word ("Bearer", "Digest").
HEADER_VALUE = re.compile(r"[ \t]*(?P<scheme>[A-Za-z][A-Za-z0-9-]* (?=\S))?(?P<rest>[^\r\n\"'\\]*)")

# OAuth 2 authorization codes (RFC 6749 §4.1.2) and PKCE verifiers (RFC 7636) in a URL
# query, a fragment or a form body: whoever has the code (and the verifier) can trade it
# for tokens until it expires. `code` is too common a word to be a sensitive key
# everywhere, so it counts only as a parameter: after `?`, `&`, `&amp;` or `#`, or at the
# start of a form body that goes on with `&name=` (`code=...&grant_type=...`).
# `error_code=42`, `status_code=500`, `zip_code=...` and "exit code=1" stay.
# Here and below the regex starts with a literal ("code", "assw") and checks what comes
# before it with lookbehinds: `re` then skips ahead to the literal, 2-10x faster than a
# pattern that starts with a lookbehind.
QUERY_CODE = re.compile(
    r"code(?:(?P<query>(?<=[?&#]code)|(?<=&amp;code))|(?<![^\s\"'=(]code))"
    r"(?:_verifier)?=(?P<value>[^&#\s\"'<>\\]+)"
)

# XML (and SOAP, SAML, HTML-ish) leaf elements: `<password>hunter2</password>`,
# `<wsse:Password Type="...">x</wsse:Password>`, `<apiKey><![CDATA[x]]></apiKey>`. The
# tag is judged by the key rule (`Redactor.is_sensitive_key`), the tags stay and the
# text between them goes. An element with child elements is not masked whole: its leaves
# are judged one by one. Escaped markup is `ESCAPED_XML_LEAF`.
XML_LEAF = re.compile(
    r"<(?P<tag>[A-Za-z_][A-Za-z0-9_.:-]*)(?:[ \t\r\n][^<>]*)?>"
    # CDATA content cannot run past its own `]]>` (with `.*?` a failed match would try
    # every way to split many sections: exponential time) nor past 1000 characters (an
    # unclosed `<![CDATA[` repeated would cost quadratic time; secrets are short).
    r"(?P<text>[^<]*(?:<!\[CDATA\[(?:[^\]]|\](?!\]>)){0,1000}\]\]>[^<]*)*)"
    r"</(?P=tag)[ \t\r\n]*>"
)

# The same leaf and a JSON string pair as they appear HTML-escaped (markup or a JSON body
# quoted in an HTML page or an error message): `&lt;password&gt;x&lt;/password&gt;`,
# `&quot;token&quot;: &quot;x&quot;`. The key rule judges the tag or key.
ESCAPED_XML_LEAF = re.compile(
    r"&lt;(?P<tag>[A-Za-z_][A-Za-z0-9_.:-]*)(?:[ \t\r\n](?:(?!&gt;)[^<>\n]){0,500})?&gt;"
    r"(?P<text>(?:(?!&lt;)[^<\n]){0,1000})&lt;/(?P=tag)[ \t\r\n]*&gt;"
)
ESCAPED_JSON_PAIR = re.compile(
    r"&quot;(?P<key>[A-Za-z0-9_.-]{1,100})&quot;[ \t]*:[ \t]*"
    r"&quot;(?P<value>(?:(?!&quot;)[^\n]){0,1000})&quot;"
)

# Passwords in prose: "password is hunter2", "Password was 'x'", "passwd set to p@ss-123".
# English words follow such phrases far more often than passwords ("password is
# incorrect", "was reset", "is too short"), so the value is masked only when it is
# quoted or looks made up (`prose_value_span`). Not caught: upper-case PASSWORD,
# passwords that are plain words ("password is swordfish"), passphrase/passcode (rare in
# logs, and each extra word is one more check on every log line) and `pwd`, which in
# prose is mostly the shell command ("pwd was /srv/app"). A path (`/etc/passwd is ...`)
# is no password word.
PROSE_PASSWORD = re.compile(
    r"assw(?<=[Pp]assw)(?<![A-Za-z0-9_/-].assw)(?:ord|d)"
    r"[ \t]+(?:is now|is|was|set to|changed to|reset to)(?:[ \t]*:)?[ \t]+"
    # a bare value needs a character no word has: "reset", "re-entered", "NOT_SET." fail
    # here, without calling `prose_value_span`
    r"(?P<value>\"[^\"\r\n]+\"|'[^'\r\n]+'|[^\s\"'<>]*[^\sA-Za-z\"'<>_.,;:)-][^\s\"'<>]*)"
)
# Sentence punctuation after the value; `!` and `?` are kept, they end passwords as often.
_PROSE_TRAILING = ".,;:)"
_WORDISH = re.compile(r"[A-Za-z]+(?:['_-][A-Za-z]+)*")


def prose_value_span(value: str) -> tuple[int, int] | None:
    """The part of a PROSE_PASSWORD value to mask (offsets into `value`), or None."""
    if value[0] in "\"'":
        return (1, len(value) - 1) if value[1:-1].strip() else None
    end = len(value.rstrip(_PROSE_TRAILING))
    word = value[:end]
    # 6+ characters with a letter or digit, and not a word or words joined by - _ '
    # ("re-entered", "NOT_SET"): a made-up string has a digit or a symbol.
    if len(word) < 6 or _WORDISH.fullmatch(word) or not any(c.isalnum() for c in word):
        return None
    return 0, end


# A bare AWS secret access key (40 characters of base64) has no shape of its own: git
# SHA-1s, base64 digests and many IDs are 40 characters too. It is masked only in a text
# that also holds an AWS access key ID (AKIA/ASIA...), which is how the pair travels
# (the console's credentials CSV `AKIA...,wJalr...`, a pasted shell line), and only
# when it mixes upper case, lower case and digits (hex SHAs do not) and has few slashes
# (paths have many).
AWS_ACCESS_KEY_ID = re.compile(rf"(?<![A-Za-z0-9_]){_AWS_ACCESS_KEY_ID}")
AWS_SECRET_CANDIDATE = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def aws_secret_is_credential(candidate: str) -> bool:
    return (candidate.count("/") < 5 and any(c.isdigit() for c in candidate)
            and any(c.isupper() for c in candidate) and any(c.islower() for c in candidate))


# Card numbers: 13-19 contiguous digits, or groups separated by one consistent space or
# dash (4-4-4-4[-3], 4-6-4/5), not glued to letters or digits (a hex hash that starts
# with 14 digits is not a card). Candidates still need a card brand prefix and length
# and a valid Luhn check digit (see `is_card_number`).
# The lookbehind sits after the first four digits (not before them) so the regex starts
# with a digit class, which lets `re` skip non-digit positions quickly: 3x faster.
CARD_CANDIDATE = re.compile(
    r"[0-9]{4}(?<![0-9A-Za-z][0-9]{4})(?:"
    r"[0-9]{9,15}"
    r"|(?P<s1>[ -])[0-9]{4}(?P=s1)[0-9]{4}(?P=s1)[0-9]{4}(?P<tail>(?P=s1)[0-9]{3})?"
    r"|(?P<s2>[ -])[0-9]{6}(?P=s2)[0-9]{4,5}"
    r")(?![0-9A-Za-z])"
)
# Card gate: a string's shape with every digit as '0', blank or dash as '-' and anything
# else as 'x' (one C-level bytes.translate); a card needs one of the shapes
# 0{13}, 0000-0000-0000-0000 or 0000-000000-0000 (see `redaction.Redactor._scan`), so
# timestamps, UUIDs and short numbers skip the regex. Kept in step with CARD_CANDIDATE.
_SHAPE = bytearray(b"x" * 256)
_SHAPE[ord("0"):ord("9") + 1] = b"0" * 10
_SHAPE[ord(" ")] = _SHAPE[ord("-")] = ord("-")
SHAPE_TABLE = bytes(_SHAPE)

# (prefix ranges, allowed lengths) per brand: Visa, Mastercard, Amex, Discover, JCB,
# Diners Club, UnionPay. An order number or snowflake ID that happens to pass Luhn (one
# in ten do) rarely also starts like a card of the right length.
_CARD_BRANDS: tuple[tuple[tuple[tuple[int, int], ...], frozenset[int]], ...] = (
    (((4, 4),), frozenset({13, 16, 19})),
    (((51, 55), (2221, 2720)), frozenset({16})),
    (((34, 34), (37, 37)), frozenset({15})),
    (((6011, 6011), (644, 649), (65, 65)), frozenset(range(16, 20))),
    (((3528, 3589),), frozenset(range(16, 20))),
    (((300, 305), (36, 36), (38, 39)), frozenset(range(14, 20))),
    (((62, 62),), frozenset(range(16, 20))),
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """True for a digit string that has a card brand's prefix and length and passes Luhn."""
    length = len(digits)
    for ranges, lengths in _CARD_BRANDS:
        if length not in lengths:
            continue
        for low, high in ranges:
            width = len(str(low))
            if low <= int(digits[:width]) <= high:
                return luhn_valid(digits)
    return False

"""Secret redaction: key rules, value detectors, corpora, structure handling, properties."""

from __future__ import annotations

import copy
import json
import re
from collections import OrderedDict, namedtuple
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from python_logging import failures as failures_module
from python_logging._secret_patterns import is_card_number, luhn_valid
from python_logging.redaction import (
    CYCLE,
    DEFAULT_MAX_DEPTH,
    GLUED_SUFFIXES,
    KEY_STEMS,
    SENSITIVE_PAIRS,
    SENSITIVE_WORDS,
    TOO_DEEP,
    Redactor,
    key_words,
)

MASK = "[REDACTED]"
BENIGN_FILE = Path(__file__).parent / "data" / "benign_values.txt"


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor()


# -- keys -------------------------------------------------------------------------------

SENSITIVE_KEYS = [
    "password", "Password", "PASSWORD", "passwd", "pwd", "db_password", "dbPassword",
    "DB_PASSWORD", "dbpassword", "db.pass", "passphrase", "new-password", "password_hash",
    "password_reset_token", "secret", "client_secret", "clientSecret", "aws_secret_access_key",
    "secret_key_base", "token", "access_token", "accessToken", "refresh_token", "id_token",
    "csrf_token", "csrftoken", "csrfmiddlewaretoken", "X-CSRF-Token", "xsrf", "auth",
    "auth_header", "authorization",
    "Authorization", "Proxy-Authorization", "authentication", "cookie", "Cookie", "cookies",
    "set-cookie", "Set-Cookie", "session", "session_id", "sessionid", "sessionId", "SESSIONID",
    "session_key", "credential", "credentials", "aws_credentials", "creds", "api_key",
    "apiKey", "APIKey", "apikey", "X-Api-Key", "x-api-key", "api.key", "private_key",
    "privateKey", "private-key", "signing_key", "encryption_key", "access_key", "jwt",
    "signature", "X-Amz-Signature", "sig", "card_number", "creditCard", "cvv", "cvc",
]
INNOCENT_KEYS = [
    "author", "authored_by", "authorId", "authority", "authorities", "tokenizer",
    "token_count", "tokenCount", "token_type", "token_expires_in", "token_expires_at",
    "prompt_tokens", "completion_tokens", "max_tokens", "total_tokens", "tokens",
    "session_count", "sessions", "max_session_age", "session_timeout_seconds",
    "password_min_length", "password_policy", "cookie_name", "cookie_domain",
    "cookie_secure", "secret_name", "auth_method", "auth_provider", "key", "keys",
    "cache_key", "partition_key", "primary_key", "idempotency_key", "keyboard", "monkey",
    "passenger", "passengers", "passed", "bypass", "compass", "secretary", "obsession",
    "possession", "signal", "design", "user", "username", "user_id", "email", "path",
    "url", "method", "status_code", "request_id", "http.request.id", "",
]


@pytest.mark.parametrize("key", SENSITIVE_KEYS)
def test_sensitive_keys_are_recognised(redactor: Redactor, key: str) -> None:
    assert redactor.is_sensitive_key(key)


@pytest.mark.parametrize("key", INNOCENT_KEYS)
def test_innocent_keys_are_left_alone(redactor: Redactor, key: str) -> None:
    assert not redactor.is_sensitive_key(key)


@pytest.mark.parametrize(("key", "words"), [
    ("X-Api-Key", ("x", "api", "key")),
    ("XApiKey", ("x", "api", "key")),
    ("APIKey", ("api", "key")),
    ("sessionID", ("session", "id")),
    ("db.password_hash", ("db", "password", "hash")),
    ("oauth2Token", ("oauth2", "token")),
    ("__secret__", ("secret",)),
])
def test_key_normalisation_splits_camel_case_and_separators(key: str, words: tuple) -> None:
    assert key_words(key) == words


def test_every_sensitive_term_contains_a_prefilter_stem() -> None:
    # The free-text `key=value` scan is skipped when no stem occurs in the text; a term
    # without a stem would silently never be found in text.
    terms = set(SENSITIVE_WORDS) | {"".join(pair) for pair in SENSITIVE_PAIRS}
    terms |= set(GLUED_SUFFIXES)
    for term in terms:
        assert any(stem in term for stem in KEY_STEMS), term
    for pair in SENSITIVE_PAIRS:
        assert any(stem in word for word in pair for stem in KEY_STEMS), pair


def test_prefilter_checks_every_stem(redactor: Redactor) -> None:
    for stem in KEY_STEMS:
        assert redactor._may_hold_key(f"x {stem} y"), stem
    assert not redactor._may_hold_key("the quick brown fox")


def test_key_verdicts_are_cached(redactor: Redactor) -> None:
    first = redactor.is_sensitive_key("cached_password")
    assert "cached_password" in redactor._key_cache
    assert redactor.is_sensitive_key("cached_password") is first


# -- values: detectors ------------------------------------------------------------------

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
    "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM_BODY = "MIIEowIBAAKCAQEAvT3gX9tA0kq7ZbYf2lUq4wq8J1Rkz0dC5FhM3p6h0sG2nY7w"


def pem(kind: str) -> str:
    return f"-----BEGIN {kind}-----\n{PEM_BODY}\nQm9ndXNLZXlCb2R5\n-----END {kind}-----"


DIGEST_CREDENTIALS = (
    'Authorization: Digest username="Mufasa", realm="shop", nonce="dcd98b7102dd2f0e8b11d0f6", '
    'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", '
    'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
)

# (kind, text to embed, secret part that must not survive)
SECRETS = [
    ("jwt", JWT, "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    ("aws access key", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("aws sts key", "ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    ("github pat", "ghp_1A2b3C4d5E6f7G8h9I0jKlMnOpQrStUvWxYz", "1A2b3C4d5E6f7G8h9I0j"),
    ("github oauth", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E771"),
    ("github user", "ghu_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E771"),
    ("github server", "ghs_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E771"),
    ("github refresh", "ghr_1B4a2e77838347a7E420ce178F2E7c6912E169", "1B4a2e77838347a7E420"),
    ("github fine-grained",
     "github_pat_11ABCDEFG0123456789abc_defghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV",
     "11ABCDEFG0123456789abc"),
    ("slack bot", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKl"),
    ("slack user", "xoxp-123456789012-123456789012-123456789012-abcdef0123456789", "abcdef0123"),
    ("stripe live", "sk_live_51H8sR2KZ9bXq3yT0pA7cN4mLwE", "51H8sR2KZ9bXq3yT0pA7"),
    ("stripe test", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1zd"),
    ("stripe restricted", "rk_live_51H8sR2KZ9bXq3yT0pA7cN4mLwE", "51H8sR2KZ9bXq3yT0pA7"),
    ("google api key", "AIzaSyU8JZpDE0iGXlD6gNCFbaEPFjbD0kH8Ooo", "SyU8JZpDE0iGXlD6gNCF"),
    ("gitlab pat", "glpat-x1Y2z3A4b5C6d7E8f9G0", "x1Y2z3A4b5C6d7E8f9G0"),
    ("openai key", "sk-proj-AbCdEf0123456789GhIjKlMnOpQrSt", "AbCdEf0123456789GhIj"),
    ("bearer", "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a3928"),
    ("bearer lowercase", "bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "9f8e7d6c5b4a3928"),
    ("basic", "Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", "YWxhZGRpbjpvcGVuc2VzYW1l"),
    ("basic bare", "sent Basic dXNlcjpodW50ZXIy upstream", "dXNlcjpodW50ZXIy"),
    ("pem rsa", pem("RSA PRIVATE KEY"), PEM_BODY),
    ("pem pkcs8", pem("PRIVATE KEY"), PEM_BODY),
    ("pem ec", pem("EC PRIVATE KEY"), PEM_BODY),
    ("pem openssh", pem("OPENSSH PRIVATE KEY"), PEM_BODY),
    ("pem encrypted", pem("ENCRYPTED PRIVATE KEY"), PEM_BODY),
    ("pem pgp", pem("PGP PRIVATE KEY BLOCK"), PEM_BODY),
    ("pem truncated", f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}", PEM_BODY),
    ("url password", "postgres://app:s3cr3t-pw@db.internal:5432/shop", "s3cr3t-pw"),
    ("url password no user", "redis://:r3dis-pass@cache.internal:6379/0", "r3dis-pass"),
    ("url password https", "https://deploy:tok3n-x9@git.example.com/acme/shop.git", "tok3n-x9"),
    ("query token", "https://api.example.com/cb?token=tk-1234567", "tk-1234567"),
    ("query access_token", "https://api.example.com/cb?access_token=ya29.a0AfH6SMBx&state=1",
     "ya29.a0AfH6SMBx"),
    ("query api_key", "/v1/search?q=shoes&api_key=k-8842aa17", "k-8842aa17"),
    ("query password", "/login?user=bob&password=hunter2", "hunter2"),
    ("query secret", "/hook?secret=s-77aa99&x=1", "s-77aa99"),
    ("query sig", "https://acct.blob.core.windows.net/c/b?sv=2022-11-02&sig=AbC%2Bx0y9Z",
     "AbC%2Bx0y9Z"),
    ("query aws signature", "/o.bin?X-Amz-Credential=AKID%2F2024&X-Amz-Signature=0a1b2c3d4e5f",
     "0a1b2c3d4e5f"),
    ("card visa spaces", "4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("card visa plain", "4012888888881881", "4012888888881881"),
    ("card mastercard dashes", "5555-5555-5555-4444", "5555-5555-5555-4444"),
    ("card mastercard 2-series", "2221000000000009", "2221000000000009"),
    ("card amex", "3782 822463 10005", "3782 822463 10005"),
    ("card amex plain", "378282246310005", "378282246310005"),
    ("card discover", "6011000999900016", "6011000999900016"),
    ("card jcb", "3530111333300000", "3530111333300000"),
    ("card diners", "30569309025904", "30569309025904"),
    ("card unionpay", "6200000000000005", "6200000000000005"),
    ("card visa 19", "4111111111111111003", "4111111111111111003"),
    ("email", "john.doe@example.com", "john.doe@"),
    ("email plus", "a.b+orders@mail.example.co.uk", "a.b+orders@"),
    ("pair password", "password=hunter2", "hunter2"),
    ("pair colon", "api_key: abc123xyz", "abc123xyz"),
    ("pair json", '"client_secret": "cs-998877"', "cs-998877"),
    ("pair repr", "'db_password': 'pg-pass-1'", "pg-pass-1"),
    ("pair header", "X-Api-Key: key-5566aa", "key-5566aa"),
    ("pair aws secret", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI"),
    ("pair refresh", "refresh_token=rt-4455bb", "rt-4455bb"),
    ("pair pwd", "pwd=swordfish", "swordfish"),
    ("pair session", "sessionId=8c2f1e0a3b4d", "8c2f1e0a3b4d"),
    ("cookie header", "Cookie: sessionid=s-abc123; theme=dark", "s-abc123"),
    ("authorization token scheme", "Authorization: Token drf-0123456789", "drf-0123456789"),
    ("digest header", DIGEST_CREDENTIALS, "6629fae49393a05397450978507c4ef1"),
    ("digest bare", 'Digest username="app", nonce="7ypf/xlj9XXwfDPEoM4URrv", uri="/x", '
     'response="b3a8c2f9e1d04c6a8f7e2d1c0b9a8f7e"', "b3a8c2f9e1d04c6a8f7e2d1c0b9a8f7e"),
    ("xml password", "<password>xml-pw-9931</password>", "xml-pw-9931"),
    ("xml api key", '<ns1:apiKey type="live">ak-55aa7731</ns1:apiKey>', "ak-55aa7731"),
    ("xml cdata", "<wsse:Password><![CDATA[cd-pw-0042]]></wsse:Password>", "cd-pw-0042"),
    ("xml token", "<Token>\n  tk-20240611-zz\n</Token>", "tk-20240611-zz"),
    ("query oauth code", "https://app.example.com/oauth/callback?code=4/0AX4XfWhQ7kZ&state=af0i",
     "4/0AX4XfWhQ7kZ"),
    ("query code after &", "/cb?state=af0ifjsl&code=SplxlOBeZQQYbYS6WxSbIA",
     "SplxlOBeZQQYbYS6WxSbIA"),
    ("query code in fragment", "https://app.example.com/cb#code=Fr4gM3ntC0de9&state=1",
     "Fr4gM3ntC0de9"),
    ("form body code", "code=Qcb0Orv1zh30vL1MPRsbm&grant_type=authorization_code",
     "Qcb0Orv1zh30vL1MPRsbm"),
    ("pkce verifier", "grant_type=authorization_code&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p",
     "dBjftJeZ4CVP-mB92K27"),
    ("prose password", "password is pw-4471x!", "pw-4471x"),
    ("prose password set", "Password set to Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("prose passwd quoted", "passwd was 'cow horse battery'", "cow horse battery"),
    ("aws secret next to key id", "AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "wJalrXUtnFEMI/K7MDENG"),
    ("aws credentials csv", "AKIAI44QH8DHBEXAMPLE,je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
     "je7MtGbClwBF/2Zp9Utk"),
]

TEXT_POSITIONS = {
    "alone": "{s}",
    "start": "{s} rejected by upstream",
    "middle": "retrying after {s} was rejected",
    "end": "upstream rejected {s}",
    "in a URL": "https://hooks.example.com/notify?ref=77&note={s}",
    "in JSON text": None,  # json.dumps of a document holding the secret
    "in a stack trace": (
        'Traceback (most recent call last):\n  File "/srv/app/client.py", line 88, in fetch\n'
        '    raise AuthError(f"rejected {s}")\nclient.AuthError: rejected {s}'
    ),
}


def place(position: str, secret: str) -> str:
    template = TEXT_POSITIONS[position]
    if template is None:
        return json.dumps({"event": "auth.failed", "detail": secret, "attempt": 2})
    return template.replace("{s}", secret)


STRUCTURE_POSITIONS = {
    "nested dict": lambda s: {"outer": {"inner": {"detail": s}}},
    "list": lambda s: ["before", s, 3],
    "tuple": lambda s: ("before", s),
    "nested list/tuple": lambda s: {"a": [1, ("x", [s])]},
    "set": lambda s: {"k": {s}},
    "dict key": lambda s: {s: "value"},
}


def survives(fragment: str, redacted: object) -> bool:
    return fragment in (redacted if isinstance(redacted, str) else repr(redacted))


def test_every_secret_kind_is_caught_in_every_position(redactor: Redactor) -> None:
    missed = []
    total = 0
    for kind, secret, fragment in SECRETS:
        for position in TEXT_POSITIONS:
            total += 1
            if survives(fragment, redactor.redact_text(place(position, secret))):
                missed.append((kind, position))
        for position, build in STRUCTURE_POSITIONS.items():
            total += 1
            if survives(fragment, redactor.redact(build(secret))):
                missed.append((kind, position))
    assert total == len(SECRETS) * (len(TEXT_POSITIONS) + len(STRUCTURE_POSITIONS))
    assert missed == [], f"detection rate {1 - len(missed) / total:.3f}"


@pytest.mark.parametrize(("text", "expected"), [
    ("postgres://app:s3cr3t@db:5432/x", "postgres://app:[REDACTED]@db:5432/x"),
    ("mail john.doe@example.com now", "mail j***@example.com now"),
    ("Authorization: Bearer abc123def456", "Authorization: Bearer [REDACTED]"),
    ("Basic dXNlcjpwYXNz", "Basic [REDACTED]"),
    # a token run going on after its `=` padding: the mask must not eat only the key
    ("Bearer /reset/password=hunter2 200 1.2 ms", "Bearer [REDACTED] 200 1.2 ms"),
    ("password=hunter2 user=bob", "password=[REDACTED] user=bob"),
    ('{"password": "hunter2", "user": "bob"}', '{"password": "[REDACTED]", "user": "bob"}'),
    ("{'api_key': 'abc', 'token_count': 5}", "{'api_key': '[REDACTED]', 'token_count': 5}"),
    ('{\\"token\\": \\"t-1\\"}', '{\\"token\\": \\"[REDACTED]\\"}'),
    ("Cookie: sid=abc; theme=dark\nnext line", "Cookie: [REDACTED]\nnext line"),
    ("?a=1&access_token=xyz&b=2", "?a=1&access_token=[REDACTED]&b=2"),
    ("card 4111 1111 1111 1111 123 items", "card [REDACTED] 123 items"),
    ("run --password=hunter2 --verbose", "run --password=[REDACTED] --verbose"),
    ("{:password => 'hunter2'}", "{:password => '[REDACTED]'}"),
    ('token := "t-123"', 'token := "[REDACTED]"'),
    ("MYSQL_ROOT_PASSWORD=hunter2", "MYSQL_ROOT_PASSWORD=[REDACTED]"),
    ('connect(host="db", password="hunter2")', 'connect(host="db", password="[REDACTED]")'),
    (f"key {pem('RSA PRIVATE KEY')} loaded", "key [REDACTED] loaded"),
    (DIGEST_CREDENTIALS, "Authorization: Digest [REDACTED]"),
    ('sent Digest username="bob", response="6629fae4" to /api',
     "sent Digest [REDACTED] to /api"),
    ('{"h": "Digest username=\\"bob\\", response=\\"6629fae4\\""}',
     '{"h": "Digest [REDACTED]"}'),
    ('<password type="text">hunter2</password>', '<password type="text">[REDACTED]</password>'),
    ("<creds><user>bob</user><password>x1</password></creds>",
     "<creds><user>bob</user><password>[REDACTED]</password></creds>"),
    ("<apiKey><![CDATA[k-1]]></apiKey> <id>7</id>", "<apiKey>[REDACTED]</apiKey> <id>7</id>"),
    ("&lt;password&gt;hunter2&lt;/password&gt;", "&lt;password&gt;[REDACTED]&lt;/password&gt;"),
    ('page: &lt;apiKey type="x"&gt;k-1&lt;/apiKey&gt; &lt;id&gt;7&lt;/id&gt;',
     'page: &lt;apiKey type="x"&gt;[REDACTED]&lt;/apiKey&gt; &lt;id&gt;7&lt;/id&gt;'),
    ("{&quot;password&quot;: &quot;hunter2&quot;, &quot;user&quot;: &quot;bob&quot;}",
     "{&quot;password&quot;: &quot;[REDACTED]&quot;, &quot;user&quot;: &quot;bob&quot;}"),
    ("/cb?code=abc123&state=xyz", "/cb?code=[REDACTED]&state=xyz"),
    ("href=/cb?a=1&amp;code=abc123&amp;b=2", "href=/cb?a=1&amp;code=[REDACTED]&amp;b=2"),
    ("password is hunter2.", "password is [REDACTED]."),
    ("Password was 'hunter two' (reset)", "Password was '[REDACTED]' (reset)"),
    ("new password is now: s3cret!!", "new password is now: [REDACTED]"),
    ("AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
     "[REDACTED],[REDACTED]"),
    # the key ID goes, a git SHA-1 next to it is no secret key (no upper case)
    ("AKIAIOSFODNN7EXAMPLE rotated in 8064e02a06d07498e94d2944ad06a501625cb764",
     "[REDACTED] rotated in 8064e02a06d07498e94d2944ad06a501625cb764"),
])
def test_masks_exactly_the_secret_part(redactor: Redactor, text: str, expected: str) -> None:
    assert redactor.redact_text(text) == expected


@pytest.mark.parametrize("text", [
    "4111 1111 1111 1112",  # fails Luhn
    "4111111111111112",
    "1234567890123452",  # passes Luhn, no card brand starts with 1
    "39136308121646dcbf11ee19d49dca71",  # hex hash starting with 14 digits
    "ORD-2024-000123",
    "{&quot;keyboard&quot;: &quot;us&quot;, &quot;token_count&quot;: &quot;12&quot;}",
    "&lt;monkey&gt;banana&lt;/monkey&gt; &lt;passage&gt;text&lt;/passage&gt;",
    "the bearer of this message",
    "Basic information was updated",
    "cursor=eyJpZCI6MTIzfQ==",  # base64 JSON without two dots: not a JWT
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "pk_live_51H8sR2KZ9bXq3yT0pA7cN4mL",  # Stripe publishable keys are public
    "token_count=5 session_count: 3 author: bob",
    "https://example.com/a?b=c",
    # Digest: a challenge holds no credentials; "digest" as a word
    'WWW-Authenticate: Digest realm="shop", qop="auth", nonce="dcd98b71", opaque="5ccc069c"',
    "weekly digest email=on for 120 subscribers",
    "Docker-Content-Digest: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15",
    # XML: descriptor, plural and public tags, empty and self-closing elements, generics
    "<token_type>Bearer</token_type><tokens>42</tokens><author>bob</author>",
    "<password></password><password/><key>cache:42</key>",
    "<PasswordPolicy><MinLength>12</MinLength></PasswordPolicy>",
    "List<Token> tokens = new ArrayList<Token>();",
    "<b>password</b> is required",
    # `code` outside a query
    "error_code=42 status_code=500 zip_code=10115 exit code=1",
    "?error_code=42&country_code=DE&barcode=4006381333931",
    "the code is fine; code=42 after retry",
    "grant_type=authorization_code",
    # a bare 40-character base64 string without an AWS key ID next to it
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
])
def test_look_alikes_are_left_alone(redactor: Redactor, text: str) -> None:
    assert redactor.redact_text(text) == text


def test_card_validation() -> None:
    assert luhn_valid("4111111111111111")
    assert not luhn_valid("4111111111111112")
    assert is_card_number("378282246310005")
    assert not is_card_number("37828224631000")  # Amex is 15 digits
    assert not is_card_number("1234567890123452")


# -- corpus: false positives ------------------------------------------------------------


def benign_values() -> list[str]:
    lines = BENIGN_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("# ")]


def test_benign_corpus_has_no_false_positives(redactor: Redactor) -> None:
    values = benign_values()
    assert len(values) >= 300
    changed = [(value, redactor.redact_text(value)) for value in values
               if redactor.redact_text(value) != value]
    assert changed == [], f"false-positive rate {len(changed) / len(values):.4f}"


def test_benign_corpus_survives_inside_structures(redactor: Redactor) -> None:
    values = benign_values()
    document = {"message": values[0], "labels": {"items": values, "pairs": tuple(values)}}
    assert redactor.redact(document) == document


# -- structures -------------------------------------------------------------------------


def test_dict_of_descriptors_under_a_sensitive_key_is_kept(redactor: Redactor) -> None:
    value = {"gen_ai": {"token": {"type": "input"}},
             "password": {"min_length": 12, "expires_at": "2024-06-01"},
             "session": {"id": "s-1", "count": 3}}
    assert redactor.redact(value) == {
        "gen_ai": {"token": {"type": "input"}},
        "password": {"min_length": 12, "expires_at": "2024-06-01"},
        "session": MASK,
    }
    assert redactor.redact({"token": {}}) == {"token": MASK}


@pytest.mark.parametrize("field", [
    "http.request.id", "http.request.method", "url.path", "url.username", "event.duration",
    "error.grouping_key", "error.stack_trace", "log.origin.function", "user.id",
    "service.name", "process.session_leader", "file.code_signature",
    "tls.client.x509.signature_algorithm", "gen_ai.usage.input_tokens", "gen_ai.token.type",
])
def test_ecs_field_names_are_not_sensitive(redactor: Redactor, field: str) -> None:
    assert not any(redactor.is_sensitive_key(part) for part in (field, *field.split(".")[-1:]))


def test_ecs_url_password_is_sensitive(redactor: Redactor) -> None:
    assert redactor.redact({"url": {"password": "pw"}}) == {"url": {"password": MASK}}


def test_sensitive_key_masks_any_value_type(redactor: Redactor) -> None:
    value = {"password": 1234, "token": None, "session": {"id": 7}, "apiKey": ["a", "b"]}
    assert redactor.redact(value) == {
        "password": MASK, "token": MASK, "session": MASK, "apiKey": MASK,
    }


def test_returns_new_containers_and_never_mutates(redactor: Redactor) -> None:
    value = {"user": {"email": "john.doe@example.com", "tags": ["a", ("b", "x@y.org")]},
             "password": "hunter2", "ids": {1, 2}, "frozen": frozenset({"k"})}
    before = copy.deepcopy(value)
    result = redactor.redact(value)
    assert value == before
    assert result["user"] is not value["user"]
    assert result["user"]["tags"] is not value["user"]["tags"]
    assert result["user"]["tags"][1] == ("b", "x***@y.org")
    assert isinstance(result["ids"], set) and result["ids"] == {1, 2}
    assert isinstance(result["frozen"], frozenset)


def test_other_scalars_and_objects_are_returned_unchanged(redactor: Redactor) -> None:
    marker = object()
    value = [1, 2.5, True, None, b"password=hunter2", marker]
    result = redactor.redact(value)
    assert result == value
    assert result[-1] is marker


def test_namedtuples_and_dict_subclasses(redactor: Redactor) -> None:
    Point = namedtuple("Point", "label secret")
    result = redactor.redact(OrderedDict(p=Point("a@b.com", "ghp_" + "a" * 36)))
    assert result == {"p": Point("a***@b.com", MASK)}
    assert type(result["p"]) is Point


def test_cycles_terminate(redactor: Redactor) -> None:
    value: dict = {"name": "loop"}
    value["self"] = value
    items: list = [1]
    items.append(items)
    assert redactor.redact(value) == {"name": "loop", "self": CYCLE}
    assert redactor.redact(items) == [1, CYCLE]


def test_shared_references_are_not_cycles(redactor: Redactor) -> None:
    shared = {"x": 1}
    assert redactor.redact([shared, shared]) == [{"x": 1}, {"x": 1}]


def test_depth_limit() -> None:
    deep: list = []
    current = deep
    for _ in range(40):
        nested: list = []
        current.append(nested)
        current = nested
    result = Redactor(max_depth=3).redact(deep)
    assert result == [[[TOO_DEEP]]]
    # deep enough to blow the interpreter stack: cut at the default depth of 32
    very_deep: dict = {}
    current = very_deep
    for _ in range(5000):
        current["next"] = {}
        current = current["next"]
    level = Redactor().redact(very_deep)
    for _ in range(DEFAULT_MAX_DEPTH):
        level = level["next"]
    assert level == TOO_DEEP


def test_non_str_keys_are_checked_as_str(redactor: Redactor) -> None:
    class Key:
        def __str__(self) -> str:
            return "password"

    class BrokenKey:
        def __str__(self) -> str:
            raise RuntimeError("no text")

    key, broken = Key(), BrokenKey()
    result = redactor.redact({key: "hunter2", 42: "x", broken: "y", ("a", 1): "z"})
    assert result == {key: MASK, 42: "x", broken: "y", ("a", 1): "z"}


def test_secrets_in_keys_are_masked_and_collisions_keep_both(redactor: Redactor) -> None:
    first, second = "ghp_" + "a" * 36, "ghp_" + "b" * 36
    assert redactor.redact({first: 1, second: 2}) == {MASK: 1, f"{MASK}#2": 2}


def test_never_raises_and_reports_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    recorded = []
    monkeypatch.setattr(failures_module.failures, "record",
                        lambda site, exc: recorded.append((site, type(exc))))

    class Exploding(dict):
        def items(self):
            raise RuntimeError("boom")

    assert Redactor().redact({"ok": Exploding(a=1)}) == MASK  # fails closed
    assert recorded == [("redaction", RuntimeError)]


def test_redact_text_accepts_non_str_without_raising(redactor: Redactor) -> None:
    assert redactor.redact_text(None) is None  # type: ignore[arg-type]
    assert redactor.redact_text({"password": 1}) == {"password": MASK}  # type: ignore[arg-type]


def test_str_subclasses_are_scanned(redactor: Redactor) -> None:
    class Text(str):
        pass

    assert redactor.redact([Text("password=hunter2")]) == ["password=[REDACTED]"]


# -- configuration ----------------------------------------------------------------------


def test_mask_is_configurable() -> None:
    redactor = Redactor(mask="***")
    assert redactor.redact({"password": "x"}) == {"password": "***"}
    assert redactor.redact_text("password=hunter2") == "password=***"
    assert redactor.redact_text("AKIAIOSFODNN7EXAMPLE") == "***"


def test_mask_with_backslashes_is_literal() -> None:
    assert Redactor(mask=r"\1\g<0>").redact_text("AKIAIOSFODNN7EXAMPLE") == r"\1\g<0>"


def test_user_patterns_are_applied_in_addition() -> None:
    redactor = Redactor(patterns=[r"CUST-\d{6}", r"(?i)internal-[a-z]+"])
    text = "customer CUST-123456 via Internal-Relay password=x"
    assert redactor.redact_text(text) == f"customer {MASK} via {MASK} password={MASK}"
    assert redactor.redact_text("ok") == "ok"


def test_user_keys_extend_the_list_and_are_normalised() -> None:
    redactor = Redactor(keys=["ssn", "tenant_ref", "token_count"])
    assert redactor.is_sensitive_key("SSN")
    assert redactor.is_sensitive_key("customer_ssn")
    assert redactor.is_sensitive_key("tenantRef")
    assert redactor.is_sensitive_key("X-Tenant-Ref")
    assert redactor.is_sensitive_key("tenantref")
    assert redactor.is_sensitive_key("token_count")  # named explicitly: wins over the rule
    assert not redactor.is_sensitive_key("tenant")
    assert redactor.redact_text("tenantRef=acme-42 ssn: 078-05-1120") == (
        f"tenantRef={MASK} ssn: {MASK}")
    assert redactor.redact_text("<ssn>078-05-1120</ssn>") == f"<ssn>{MASK}</ssn>"
    assert not Redactor().is_sensitive_key("customer_ssn")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mask": ""}, "mask"),
    ({"patterns": ["(unclosed"]}, "not a valid regular expression"),
    ({"keys": ["--"]}, "letters or digits"),
    ({"max_depth": 0}, "max_depth"),
])
def test_bad_configuration_fails_at_construction(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Redactor(**kwargs)


# -- properties -------------------------------------------------------------------------

FRAGMENTS = [secret for _, secret, _ in SECRETS] + [
    "password", "token", "api_key", "Authorization", "Cookie", "session_id", "author",
    "token_count", "=", ": ", ":", "'", '"', '\\"', " ", "\n", "&", "?", "@", "://", "-----",
    "example.com", "4111", "1111 ", "eyJ", "Bearer ", "Basic ", "AKIA", "ghp_", "sk-",
    "Digest ", 'response="', "<password>", "</password>", "<", "</", "?code=", "&code=",
    "code=", "password is ", " was ", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    MASK, "[", "]", "{", "}", ",", ";", "x", "0", "9",
]
text_with_secrets = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=12
).map("".join)
keys = st.one_of(st.sampled_from(["password", "user", "token_count", "type", "apiKey"]),
                 text_with_secrets)
scalars = st.one_of(text_with_secrets, st.integers(), st.floats(allow_nan=False),
                    st.none(), st.booleans(), st.binary(max_size=8))
nested = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=20,
)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(text_with_secrets)
def test_redact_text_is_idempotent(text: str) -> None:
    redactor = Redactor()
    once = redactor.redact_text(text)
    assert redactor.redact_text(once) == once


@PROPERTY_SETTINGS
@given(nested)
def test_redact_is_idempotent_on_structures(value: object) -> None:
    redactor = Redactor()
    once = redactor.redact(value)
    assert redactor.redact(once) == once


never_raises_values = st.recursive(
    st.one_of(st.text(), st.integers(), st.floats(), st.none(), st.binary(), st.booleans()),
    lambda children: st.one_of(
        st.lists(children), st.lists(children).map(tuple),
        st.dictionaries(st.one_of(st.text(), st.integers(), st.none()), children),
        st.frozensets(st.one_of(st.text(), st.integers())),
    ),
    max_leaves=30,
)


@PROPERTY_SETTINGS
@given(never_raises_values)
def test_redact_never_raises_and_never_fails_closed(value: object) -> None:
    result = Redactor().redact(value)
    # failing closed would replace a container by the mask: that must not be needed
    assert not (isinstance(value, (list, tuple, dict, frozenset)) and result == MASK)

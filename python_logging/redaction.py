"""Secret redaction for log records: sensitive keys and secret-looking strings are masked.

`Redactor.redact(value)` walks dicts, lists, tuples, sets and frozensets and returns new
containers (plain dict for dict subclasses; namedtuples keep their type); the input is
never mutated. Strings are scanned, other scalars and objects (including bytes) are
returned as they are. Two rules apply.

Sensitive keys
    The value under a sensitive key is replaced by the mask whatever its type. A key is
    normalised into words: camelCase and acronyms are split (``XApiKey`` -> x api key),
    case is dropped and every non-alphanumeric character (``- _ .``, spaces) separates
    words. A key that is not a str is judged as ``str(key)``. The key is sensitive when
    it contains a sensitive *term*:

    * a word: password(s), passwd, pwd, pass, passphrase, secret(s), token, auth,
      authorization, authentication, cookie(s), session, sessionid, credential(s),
      creds, csrf, xsrf, jwt, signature, sig, cvv, cvc;
    * adjacent words: api key, private key, access key, secret key, signing key,
      encryption key, master key, session key, client key, card number, credit card,
      or the same glued into one word (``apikey``, ``privatekey``, ``creditcard``);
    * a glued word ending in password, passwd, passphrase, secret, token, apikey,
      privatekey, accesskey, sessionid, cookie or credential (``dbpassword``,
      ``accesstoken``, ``clientsecret``, ``csrfmiddlewaretoken``).

    Whole words, not raw substrings: ``author``, ``authored_by``, ``authority``,
    ``tokenizer``, ``passenger``, ``keyboard``, ``secretary``, ``obsession`` and
    ``sessions`` stay. Plural ``tokens`` is no term either: LLM usage counters
    (``prompt_tokens``, ``max_tokens``) are far more common than lists of raw tokens,
    and vendor tokens inside any value are still caught by the string rules.
    ``session_id``/``sessionid`` *are* sensitive: session IDs are bearer credentials.

    A key that *describes* a secret instead of holding it stays: when a word after
    the last term is a descriptor (count, type, length, ttl, expires, at, name, url,
    error, ... see ``DESCRIPTOR_WORDS``) or the first word is a quantity (max, min, num,
    total): ``token_count``, ``session_count``, ``password_min_length``,
    ``token_type``, ``token_expires_in``, ``cookie_name``, ``max_session_age``, and
    exception names in tracebacks (``AuthError: ...``). A term at the end wins:
    ``password_reset_token``, ``card_number``. ``code_signature`` and
    ``session_leader`` (ECS fields) are not terms. For nested ECS-style dicts, a dict
    under a sensitive key is kept and walked when *every* key in it is a descriptor:
    ``{"token": {"type": "input"}}`` (ECS ``gen_ai.token.type``) stays, while
    ``{"session": {"id": ...}}`` is masked whole.

    Keys given to ``Redactor(keys=...)`` are normalised the same way and added as
    terms (``tenant_ref`` also matches ``tenantRef`` and ``X-Tenant-Ref``); a key
    equal to one of them is sensitive even if it ends in a descriptor.

Secret-looking strings
    Every string (values, list items, dict keys, the message, stack traces) is scanned
    for:

    * PEM private-key blocks of every type (certificates and public keys stay);
    * JWTs (two dots; a lone base64 JSON cursor stays);
    * vendor tokens by prefix: GitHub (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), Slack
      (xox?-, xapp-), Stripe secret and restricted keys and webhook secrets (publishable
      ``pk_live_`` keys are public and stay), AWS access key IDs (AKIA, ASIA), Google
      (AIza), GitLab (glpat-), npm, PyPI, OpenAI/Anthropic (sk-...);
    * ``Bearer <token>`` and ``Basic <base64 of user:password>`` (prose stays);
      HTTP Digest credentials: the whole parameter list after ``Digest`` when it holds
      ``response=`` (a ``WWW-Authenticate`` challenge has no secret and stays);
    * passwords in URLs: ``scheme://user:pass@host`` keeps the user;
    * ``key=value``, ``key: value``, ``"key": "value"``, ``'key': 'value'`` and
      query parameters whose key is sensitive by the key rule (``?access_token=``,
      ``api_key:``, ``X-Amz-Signature=``; ``token_count=5`` stays); whole
      ``Cookie:``/``Set-Cookie:``/``Authorization:`` header lines;
    * XML leaf elements whose tag is sensitive by the same key rule:
      ``<password>[REDACTED]</password>``, ``<wsse:Password Type="...">``, CDATA; the
      same leaves and JSON string pairs HTML-escaped (``&lt;password&gt;``,
      ``&quot;token&quot;: &quot;...&quot;``);
    * OAuth authorization codes and PKCE verifiers as URL query, fragment or form-body
      parameters (``?code=``, ``&code=``, ``#code=``, ``code=...&grant_type=``,
      ``code_verifier=``); ``error_code=42``, ``status_code=500`` and "exit code=1" stay;
    * passwords in prose (``password is X``, ``Password was 'X'``, ``passwd set to X``)
      when X is quoted or has a digit or symbol: "password is incorrect" stays;
    * a 40-character AWS secret access key with no key name, but only in a text that also
      holds an AWS access key ID (``AKIA...,wJalr...``) and only when it mixes upper and
      lower case and digits (a git SHA-1 next to a key ID stays);
    * card numbers: 13-19 digits (plain or grouped by spaces/dashes) with a card
      brand's prefix and length and a valid Luhn digit, so order numbers and IDs stay;
    * emails, masked to first character + ``***`` + domain (``j***@example.com``):
      enough to tell tenants apart while debugging, not enough to contact anyone.

    User ``patterns`` are applied last; their matches are replaced by the mask.
    UUIDs, hashes, git SHAs, timestamps, IPs, paths, plain URLs and prices stay; the
    tests measure the false-positive rate on a corpus of benign values. Not detected:
    secrets without a recognisable shape or key (an AWS secret key without its key ID in
    the same string, a password in prose that is a plain word such as "password is
    swordfish", ``pwd was X``, which is mostly about directories), the upper-case
    spellings ``DIGEST`` and ``PASSWORD is``, secrets inside bytes values.

Speed: this runs on every log line, so each detector sits behind plain substring checks
(``'@' in text``, ``'eyJ' in text``, a card-shape check, ...) and a benign string that
trips no gate costs well under a microsecond. Key verdicts are cached per key.

Robustness: `redact` never raises. Cycles become ``"<cycle>"``, containers nested deeper
than `max_depth` become ``"<too deep>"``, and on an unexpected error the whole value is
replaced by the mask (failing closed) and the failure is reported once through
`python_logging.failures`. Strings are rescanned until nothing changes, so redacting
twice gives the same result as redacting once (a property test checks it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from python_logging import _secret_patterns as sp
from python_logging.failures import failures

DEFAULT_MASK = "[REDACTED]"
CYCLE = "<cycle>"
TOO_DEEP = "<too deep>"
DEFAULT_MAX_DEPTH = 32

SENSITIVE_WORDS = frozenset({
    "password", "passwords", "passwd", "pwd", "pass", "passphrase",
    "secret", "secrets", "token",
    "auth", "authorization", "authentication",
    "cookie", "cookies", "session", "sessionid",
    "credential", "credentials", "creds",
    "csrf", "xsrf", "jwt", "signature", "sig", "cvv", "cvc",
})
SENSITIVE_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"),
    ("signing", "key"), ("encryption", "key"), ("master", "key"), ("session", "key"),
    ("client", "key"), ("card", "number"), ("credit", "card"),
})
# A glued word (no separators, no camelCase) ending in one of these is sensitive.
# `session` and `auth` are missing on purpose: obsession, possession, oauth.
GLUED_SUFFIXES = (
    "password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey",
    "accesskey", "sessionid", "cookie", "credential",
)
# Last words that make a key metadata *about* a secret rather than the secret itself.
DESCRIPTOR_WORDS = frozenset({
    "count", "counts", "num", "number", "total", "max", "min", "limit", "length", "len",
    "size", "type", "types", "kind", "format", "ttl", "timeout", "age", "expiry", "expires",
    "expire", "expiration", "expired", "at", "time", "seconds", "secs", "sec", "ms",
    "minutes", "hours", "days", "used", "remaining", "usage", "name", "names", "method",
    "scheme", "provider", "mode", "status", "enabled", "required", "policy", "url", "uri",
    "endpoint", "path", "domain", "secure", "httponly", "samesite", "algorithm", "alg",
    "version",
    # exception names in tracebacks: `AuthError: rejected`, `InvalidTokenError: ...`
    "error", "errors", "exception", "failed", "failure", "mismatch", "missing",
})
QUANTITY_PREFIXES = frozenset({"max", "min", "num", "total", "count"})
# Compounds that contain a term but name something public (ECS `*.code_signature.*`
# describes a binary's signing status, `process.session_leader` is a process).
BENIGN_COMPOUNDS = (("code", "signature"), ("session", "leader"))
# Keys whose text form is an HTTP header line with a credential as its whole value.
HEADER_KEYS = frozenset({
    ("authorization",), ("proxy", "authorization"), ("cookie",), ("set", "cookie"),
})
# Lower-case stems: every sensitive key contains one, so free text without any of them
# cannot hold a sensitive `key=value` pair (tests check this against the vocabulary).
KEY_STEMS = ("pass", "pwd", "secret", "token", "auth", "cookie", "session", "cred", "key",
             "srf", "jwt", "sig", "cv", "card")

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
_KEY_CACHE_LIMIT = 8192
_MAX_PASSES = 8


def key_words(key: str) -> tuple[str, ...]:
    """Normalise a key into lower-case words: `X-Api-Key`, `xApiKey`, `x.api_key` -> x api key."""
    spaced = _CAMEL_BOUNDARY.sub(" ", key).lower()
    return tuple(word for word in _SEPARATORS.split(spaced) if word)


def _terms_in(words: Sequence[str], singles: frozenset[str],
              sequences: Iterable[tuple[str, ...]]) -> list[tuple[int, int]]:
    """Spans (start, end) of words that form a sensitive term."""
    spans = []
    for index, word in enumerate(words):
        if word in singles or word.endswith(GLUED_SUFFIXES):
            spans.append((index, index + 1))
    for sequence in sequences:
        width = len(sequence)
        for start in range(len(words) - width + 1):
            if tuple(words[start:start + width]) == sequence:
                spans.append((start, start + width))
    return spans


def _without_benign_compounds(words: tuple[str, ...]) -> tuple[str, ...]:
    for compound in BENIGN_COMPOUNDS:
        width = len(compound)
        for start in range(len(words) - width + 1):
            if words[start:start + width] == compound:
                words = words[:start] + ("",) * width + words[start + width:]
    return words


def _describes_secret(words: Sequence[str], spans: list[tuple[int, int]]) -> bool:
    """True when the key is metadata about a secret (`token_expires_in`), not the secret."""
    after_last_term = max(end for _, end in spans)
    if any(word in DESCRIPTOR_WORDS for word in words[after_last_term:]):
        return True
    return words[0] in QUANTITY_PREFIXES and all(start > 0 for start, _ in spans)


class Redactor:
    """Masks secrets in log values; see the module docstring for what is matched."""

    def __init__(self, *, keys: Sequence[str] = (), patterns: Sequence[str] = (),
                 mask: str = DEFAULT_MASK, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        if not isinstance(mask, str) or not mask:
            raise ValueError(f"redaction mask must be a non-empty string, got {mask!r}")
        if not isinstance(max_depth, int) or max_depth < 1:
            raise ValueError(f"redaction max_depth must be a whole number >= 1, got {max_depth!r}")
        self.mask = mask
        self.max_depth = max_depth
        singles = set(SENSITIVE_WORDS)
        sequences = set(SENSITIVE_PAIRS)
        stems = []
        self._exact_keys: set[tuple[str, ...]] = set()
        for key in keys:
            words = key_words(key) if isinstance(key, str) else ()
            if not words:
                raise ValueError(f"redaction key {key!r} must contain letters or digits")
            self._exact_keys.add(words)
            singles.add("".join(words))
            if len(words) > 1:
                sequences.add(words)
            stems.append(max(words, key=len))
        for glued in ("".join(pair) for pair in SENSITIVE_PAIRS):
            singles.add(glued)
        self._singles = frozenset(singles)
        self._sequences = tuple(sequences)
        self._extra_stems = tuple(stem for stem in stems
                                  if not any(base in stem for base in KEY_STEMS))
        self._patterns = tuple(_compile_user_pattern(p) for p in patterns)
        # key -> (is sensitive, redacted form of the key itself)
        self._key_cache: dict[Any, tuple[bool, str]] = {}
        self._mask_match: Callable[[re.Match[str]], str] = lambda _match: mask

    # -- keys -------------------------------------------------------------------------

    def is_sensitive_key(self, key: str) -> bool:
        """True when the value under `key` must be masked (cached per key)."""
        cached = self._key_cache.get(key)
        if cached is None:
            cached = self._remember_key(key)
        return cached[0]

    def _remember_key(self, key: str) -> tuple[bool, str]:
        redacted = self.redact_text(key)
        # Judging the redacted key too keeps `redact` idempotent: a key that only looks
        # sensitive once redacted would otherwise mask its value on the second pass.
        sensitive = self._key_verdict(key) or (redacted != key and self._key_verdict(redacted))
        verdict = (sensitive, redacted)
        if len(self._key_cache) >= _KEY_CACHE_LIMIT:
            # Keys come from a small, recurring set; a flood of unique keys (IDs used as
            # keys) must not grow memory without bound, so start again.
            self._key_cache.clear()
        self._key_cache[key] = verdict
        return verdict

    def _key_verdict(self, key: str) -> bool:
        words = key_words(key)
        if not words:
            return False
        if words in self._exact_keys:
            return True
        spans = _terms_in(_without_benign_compounds(words), self._singles, self._sequences)
        return bool(spans) and not _describes_secret(words, spans)

    def _only_describes(self, value: dict[Any, Any]) -> bool:
        """True for a non-empty dict whose every key is metadata (`{"type": "input"}`)."""
        for key in value:
            if type(key) is not str or self.is_sensitive_key(key):
                return False
            words = key_words(key)
            if not words or not (words[0] in QUANTITY_PREFIXES
                                 or any(word in DESCRIPTOR_WORDS for word in words)):
                return False
        return bool(value)

    # -- strings ----------------------------------------------------------------------

    def redact_text(self, text: str) -> str:
        """Mask every secret found in one string (anything else goes through `redact`)."""
        if type(text) is not str:
            return self.redact(text)
        try:
            return self._scan(text)
        except Exception as exc:
            failures.record("redaction", exc)
            return self.mask

    def _scan(self, text: str, passes: int = 1) -> str:
        # Each detector is gated by substring checks that cost a few nanoseconds, so a
        # benign string falls through all of them without running a regex.
        if len(text) < 5 and not self._patterns:
            return text
        original = text
        if "-----" in text:
            text = sp.PEM_PRIVATE_KEY.sub(self._mask_match, text)
        if "eyJ" in text:
            text = sp.JWT.sub(self._mask_match, text)
        aws_key_id = "IA" in text  # in both AWS key ID prefixes, AKIA and ASIA
        if aws_key_id or "AIza" in text or (
                ("_" in text or "-" in text) and _may_hold_vendor_token(text)):
            if aws_key_id and sp.AWS_ACCESS_KEY_ID.search(text):
                # before the key ID is masked: it is what makes a secret key recognisable
                text = sp.AWS_SECRET_CANDIDATE.sub(self._mask_aws_secret, text)
            text = sp.VENDOR_TOKEN.sub(self._mask_match, text)
        # Auth schemes and passwords in prose are followed by a blank: field values
        # without one (paths, IDs, names) skip those gates with one or two memchr calls.
        has_blank = " " in text or "\t" in text
        # AUTH_SCHEME only knows Bearer/bearer/BEARER and Basic/basic/BASIC, so these
        # four checks are exact and spare lowering the text when it holds no pair.
        before_auth = text  # what the key stems are looked for in, lowered on demand
        if has_blank and (
                "earer" in text or "asic" in text or "EARER" in text or "ASIC" in text):
            text = sp.AUTH_SCHEME.sub(self._mask_auth_scheme, text)
        # Digest credentials and `?code=` both need a '=': strings without one (most
        # messages) pay a single check for the two.
        has_equals = "=" in text
        if has_equals and has_blank and "igest" in text:
            text = sp.DIGEST_CREDENTIALS.sub(self._mask_digest, text)
        if "@" in text:
            text = sp.URL_PASSWORD_OR_EMAIL.sub(self._mask_url_or_email, text)
        if has_equals and "code" in text:
            text = sp.QUERY_CODE.sub(self._mask_query_code, text)
        # `key=value` and `<key>value</key>` need a key stem. A one-character needle is
        # found with memchr, so "<" is a cheaper gate than "</".
        has_separator = has_equals or ":" in text
        if (has_separator or "<" in text or "&" in text) and self._may_hold_key(
                before_auth.lower()):
            text = self._mask_keyed_values(text, has_separator)
        if has_blank and "assw" in text:
            text = sp.PROSE_PASSWORD.sub(self._mask_prose_password, text)
        if len(text) >= 13:
            # The card gate, inline because a call costs as much as the gate. A card's
            # shape is 0{13}, 0000-0000-0000-0000 or 0000-000000-0000 (see SHAPE_TABLE);
            # the last two both contain 0000-0000, so a benign shape fails after two
            # checks. bytes.translate is one fast C call, but `in` on bytes is slow.
            shape = text.encode("utf-8", "surrogatepass").translate(sp.SHAPE_TABLE).decode(
                "latin-1")
            if "0000000000000" in shape or ("0000-0000" in shape and (
                    "0000-0000-0000-0000" in shape or "0000-000000-0000" in shape)):
                text = sp.CARD_CANDIDATE.sub(self._mask_card, text)
        if self._patterns:  # usually none: spare setting up a loop
            for pattern in self._patterns:
                text = pattern.sub(self._mask_match, text)
        if text is original or text == original or passes >= _MAX_PASSES:
            return text
        # A mask can create a word boundary a detector waits for (`xAIza...eyJ...` only
        # shows its JWT once the key before it is gone), so scan again until nothing
        # changes; that is what makes redaction idempotent. Only strings that held a
        # secret pay for the second pass.
        return self._scan(text, passes + 1)

    def _may_hold_key(self, lowered: str) -> bool:
        # Spelled out rather than looped over KEY_STEMS: twice as fast on the hot path.
        if ("pass" in lowered or "secret" in lowered or "token" in lowered
                or "key" in lowered or "auth" in lowered or "session" in lowered
                or "cookie" in lowered or "pwd" in lowered or "cred" in lowered
                or "sig" in lowered or "srf" in lowered or "jwt" in lowered
                or "card" in lowered or "cv" in lowered):
            return True
        # stems of user keys; usually none, and then no generator is built
        return bool(self._extra_stems) and any(stem in lowered for stem in self._extra_stems)

    def _mask_keyed_values(self, text: str, has_separator: bool) -> str:
        """Mask the values of sensitive `key=value` pairs and XML leaf elements."""
        if has_separator:
            text = self._mask_pairs(text)
        if "<" in text and "</" in text:
            text = sp.XML_LEAF.sub(self._mask_xml_leaf, text)
        if "&" in text:  # HTML-escaped markup or JSON
            if "&lt;/" in text:
                text = sp.ESCAPED_XML_LEAF.sub(self._mask_xml_leaf, text)
            if "&quot;" in text:
                text = sp.ESCAPED_JSON_PAIR.sub(self._mask_escaped_pair, text)
        return text

    def _mask_escaped_pair(self, match: re.Match[str]) -> str:
        return self._mask_keyed_value(match, "key", "value")

    def _mask_xml_leaf(self, match: re.Match[str]) -> str:
        return self._mask_keyed_value(match, "tag", "text")

    def _mask_keyed_value(self, match: re.Match[str], key: str, value: str) -> str:
        """match[0] with its `value` group masked when its `key` group is sensitive."""
        content = match[value]
        if not content.strip() or content == self.mask or not self.is_sensitive_key(match[key]):
            return match[0]
        return self._replace_group(match, value, 0, len(content))

    def _mask_prose_password(self, match: re.Match[str]) -> str:
        value = match["value"]
        span = sp.prose_value_span(value)
        if span is None or value.startswith(self.mask, span[0]):
            return match[0]
        return self._replace_group(match, "value", *span)

    def _replace_group(self, match: re.Match[str], group: str, start: int, end: int) -> str:
        """match[0] with group[start:end] replaced by the mask."""
        offset = match.start(group) - match.start()
        whole = match[0]
        return whole[:offset + start] + self.mask + whole[offset + end:]

    def _mask_digest(self, match: re.Match[str]) -> str:
        if not sp.DIGEST_RESPONSE.search(match["params"]):
            return match[0]  # a challenge (WWW-Authenticate), not credentials
        return match["scheme"] + match["gap"] + self.mask

    def _mask_query_code(self, match: re.Match[str]) -> str:
        text = match.string
        in_query = match["query"] is not None or text.startswith("&", match.end())
        if not in_query or text.startswith(self.mask, match.start("value")):
            return match[0]
        return self._replace_group(match, "value", 0, len(match["value"]))

    def _mask_aws_secret(self, match: re.Match[str]) -> str:
        return self.mask if sp.aws_secret_is_credential(match[0]) else match[0]

    def _mask_auth_scheme(self, match: re.Match[str]) -> str:
        if not sp.auth_token_is_credential(match["scheme"], match["token"]):
            return match[0]
        return match["scheme"] + match["gap"] + self.mask

    def _mask_url_or_email(self, match: re.Match[str]) -> str:
        if match["url"] is not None:
            return match["url"] + self.mask + "@"
        return match["first"] + sp.EMAIL_MASK + "@" + match["domain"]

    def _mask_card(self, match: re.Match[str]) -> str:
        candidate = match[0]
        if sp.is_card_number(_only_digits(candidate)):
            return self.mask
        tail = match["tail"]
        if tail and sp.is_card_number(_only_digits(candidate[: -len(tail)])):
            # "4111 1111 1111 1111 123": the card, then an unrelated number
            return self.mask + tail
        return candidate

    def _mask_pairs(self, text: str) -> str:
        """Mask the values of sensitive `key=value` / `key: value` pairs in free text."""
        reversed_text = text[::-1]
        length = len(text)
        pieces = []
        copied = 0  # text[:copied] is already in pieces
        for separator in sp.SEPARATOR.finditer(text):
            at = separator.start()
            if at < copied:
                continue  # inside a value masked already
            key = sp.REVERSED_KEY.match(reversed_text, length - at)
            if key is None or not self.is_sensitive_key(key["yek"][::-1]):
                continue
            quoted_key = key["quote"] is not None
            span = self._secret_span(text, at + 1, key["yek"][::-1], quoted_key)
            if span is None:
                continue
            start, end = span
            pieces.append(text[copied:start])
            pieces.append(self.mask)
            copied = end
        if not pieces:
            return text
        pieces.append(text[copied:])
        return "".join(pieces)

    def _secret_span(self, text: str, start: int, key: str,
                     quoted_key: bool) -> tuple[int, int] | None:
        """Where the value after a sensitive key lies, or None if there is nothing to mask."""
        if not quoted_key and text[start - 1] == ":" and key_words(key) in HEADER_KEYS:
            header = sp.HEADER_VALUE.match(text, start)
            value_start = header.start("rest")
            value_end = value_start + len(header["rest"].rstrip())
        else:
            value = sp.PAIR_VALUE.match(text, start)
            if value is None:
                return None
            group = "bare" if value["bare"] is not None else "quoted"
            value_start, value_end = value.span(group)
        if value_end <= value_start or text.startswith(self.mask, value_start):
            return None
        return value_start, value_end

    # -- structures -------------------------------------------------------------------

    def redact(self, value: Any) -> Any:
        """A copy of `value` with secrets masked; never raises, never mutates `value`."""
        try:
            if type(value) is dict:  # the `extra` of a log record: skip one dispatch
                return self._redact_dict(value, 0, set())
            return self._redact(value, 0, set())
        except Exception as exc:
            failures.record("redaction", exc)
            return self.mask

    # The walk: `depth` is the nesting level of `value` itself; a container at
    # `max_depth` or below becomes TOO_DEEP. `ancestors` holds the ids of the containers
    # on the path from the root, so a shared (not cyclic) reference is walked twice. No
    # try/finally around `ancestors`: any exception aborts the whole `redact` anyway.

    def _redact(self, value: Any, depth: int, ancestors: set[int]) -> Any:
        kind = type(value)
        if kind is str:
            return self._scan(value)
        if kind in _SCALARS:
            return value
        if kind is dict or (kind is not list and kind is not tuple and isinstance(value, dict)):
            return self._redact_dict(value, depth, ancestors)
        if kind is not list and kind is not tuple:  # rare: subclasses, sets
            if isinstance(value, str):
                return self._scan(str.__str__(value))
            if not isinstance(value, _CONTAINERS):
                return value
        marker = id(value)
        if depth >= self.max_depth or marker in ancestors:
            return TOO_DEEP if depth >= self.max_depth else CYCLE
        ancestors.add(marker)
        items = [self._redact(item, depth + 1, ancestors) for item in value]
        ancestors.discard(marker)
        if isinstance(value, list):
            return items
        if isinstance(value, tuple):
            # namedtuples keep their type so the renderer still sees field names
            return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
        return frozenset(items) if isinstance(value, frozenset) else set(items)

    def _redact_dict(self, value: dict[Any, Any], depth: int, ancestors: set[int]) -> Any:
        marker = id(value)
        if depth >= self.max_depth or marker in ancestors:
            return TOO_DEEP if depth >= self.max_depth else CYCLE
        ancestors.add(marker)
        depth += 1
        result: dict[Any, Any] = {}
        cache = self._key_cache
        scan, mask = self._scan, self.mask
        for key, item in value.items():
            info = cache.get(key) if type(key) is str else None
            sensitive, new_key = info if info is not None else self._key_info(key)
            # the commonest values inline: saves a call per field on the hot path
            kind = type(item)
            if sensitive and not (kind is dict and self._only_describes(item)):
                new_value = mask
            elif kind is str:
                new_value = scan(item)
            elif kind in _SCALARS:
                new_value = item
            elif kind is dict:
                new_value = self._redact_dict(item, depth, ancestors)
            else:
                new_value = self._redact(item, depth, ancestors)
            if new_key in result:
                # two keys redacted to the same text: keep both values
                new_key = _unused_key(result, new_key)
            result[new_key] = new_value
        ancestors.discard(marker)
        return result

    def _key_info(self, key: Any) -> tuple[bool, Any]:
        """(is the key sensitive, the key to write out); non-str keys are checked as str."""
        if type(key) is str:
            return self._remember_key(key)
        try:
            as_text = str(key)
        except Exception:
            return False, key
        return self.is_sensitive_key(as_text), key


_SCALARS = frozenset({int, float, bool, type(None), bytes, complex})
_CONTAINERS = (dict, list, tuple, set, frozenset)


def _may_hold_vendor_token(text: str) -> bool:
    """Cheap test for the prefixes of VENDOR_TOKEN that contain '_' or '-'."""
    # Grouped by the separator each prefix contains: most strings fail on that first.
    if "_" in text and ("gh" in text or "hub_pat_" in text or "k_live_" in text
                        or "k_test_" in text or "whsec_" in text or "npm_" in text):
        return True
    return "-" in text and ("xox" in text or "xapp-" in text or "glpat-" in text
                            or "pypi-" in text or "sk-" in text)


def _only_digits(text: str) -> str:
    return "".join(char for char in text if char.isdigit())


def _unused_key(result: dict[Any, Any], key: Any) -> str:
    number = 2
    while f"{key}#{number}" in result:
        number += 1
    return f"{key}#{number}"


def _compile_user_pattern(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except (re.error, TypeError) as exc:
        raise ValueError(
            f"redaction pattern {pattern!r} is not a valid regular expression: {exc}"
        ) from None

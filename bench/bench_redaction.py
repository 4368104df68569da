"""Cost of secret redaction on the logging hot path (`make bench`).

Prints the best-of-N time per call for `Redactor.redact_text` on benign and secret
strings, the mean over the benign corpus of the tests (hundreds of varied log texts,
so one gate more or less shows as a whole), `is_sensitive_key` (cached) and `redact`
on small extra dicts. Best-of-N, because the machine is shared and the minimum is the
least noisy estimate.
"""

from __future__ import annotations

import platform
import sys
import time
import timeit
from pathlib import Path

from python_logging.redaction import Redactor

BENIGN_TEXTS = (
    "payment accepted",
    "/api/orders",
    "GET /api/v1/users/12345 200 in 12.3ms",
    "Connection pool exhausted; retrying in 5 seconds (attempt 3 of 10)",
    "user_id=42 order=ORD-2024-000123 total=19.99 EUR",
    "Session 123 started: ok for author bob",
    "2024-01-15T10:20:30.123Z request 3f2a9c1e-8b7d-4e2f-9a1b-0c3d4e5f6a7b completed",
    # trip the gates of the Digest, `?code=`, XML and prose-password rules
    "GET /products?promo_code=SUMMER&sort=asc 200 <b>ok</b>",
    "Password was reset by an administrator",
)
SECRET_TEXTS = (
    "login ok password=hunter2 user=bob",
    "Authorization: Bearer abc123def456ghi789",
    "callback https://api.example.com/cb?access_token=abc123&state=xyz",
    "charged card 4111 1111 1111 1111 for order 77",
    "mail sent to john.doe@example.com",
    'Authorization: Digest username="bob", nonce="dcd98b71", response="6629fae4"',
    "callback /oauth/cb?code=SplxlOBeZQQYbYS6WxSbIA&state=af0i",
    "<user>bob</user><password>hunter2</password>",
)
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "benign_values.txt"
DICTS = {
    "3 benign fields": {"user_id": 42, "path": "/api/orders/17", "method": "GET"},
    "nested ECS extra": {
        "http": {"request": {"method": "GET"}, "response": {"status_code": 200}},
        "url": {"path": "/x"},
        "event": {"duration": 1234},
    },
    "with a password": {"user": "bob", "password": "hunter2", "retries": 3},
}


def best_ns(call, number: int = 20000, repeat: int = 9) -> float:
    # CPU time of this process: waiting for a core on a busy machine is not counted.
    runs = timeit.repeat(call, number=number, repeat=repeat, timer=time.process_time)
    return min(runs) / number * 1e9


def main() -> None:
    redactor = Redactor()
    print(f"python {sys.version.split()[0]} on {platform.machine()}")
    baseline = best_ns(lambda: None)
    print(f"(call overhead of the timing lambda: {baseline:.0f} ns, not subtracted)")
    for label, texts in (("benign", BENIGN_TEXTS), ("secret", SECRET_TEXTS)):
        for text in texts:
            ns = best_ns(lambda t=text: redactor.redact_text(t))
            print(f"redact_text {label} {len(text):3d} chars {ns:7.0f} ns  {text[:60]!r}")
    corpus = [line for line in CORPUS.read_text(encoding="utf-8").splitlines()
              if line and not line.startswith("# ")]
    corpus_ns = best_ns(lambda: [redactor.redact_text(text) for text in corpus], number=20)
    mean_ns = corpus_ns / len(corpus)
    print(f"redact_text benign corpus, mean of {len(corpus)} texts {mean_ns:.0f} ns")
    key_ns = best_ns(lambda: redactor.is_sensitive_key("db_password"))
    print(f"is_sensitive_key (cached) {key_ns:.0f} ns")
    for label, value in DICTS.items():
        print(f"redact dict: {label:18s} {best_ns(lambda v=value: redactor.redact(v)):7.0f} ns")


if __name__ == "__main__":
    main()

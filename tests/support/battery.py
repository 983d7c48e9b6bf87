"""A generated hostile battery: every form each role is shown, every POST route and every GET route, with hostile
values, real CSRF tokens and real sign-ins.

`run_battery` crawls the GET routes as each identity, collects the forms on the pages it is shown (their action,
fields, defaults and CSRF token), then sends `budget` requests chosen at random with a seeded generator:

- a GET route with one to three query parameters (the names the app's code reads, found by scanning `app/`), set
  to hostile values, sometimes twice;
- a form the role was shown, each field set to a hostile value or left at its default, the CSRF token kept;
- a POST route with random fields and the CSRF token.

Any 5xx answer is a finding. The suite runs a small budget on each database (tests/integration/
test_hostile_battery.py); `scripts/hostile_battery` runs the long one.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote_from_bytes, urlsplit

from flask import g, has_app_context
from flask.testing import FlaskClient

from tests.hostile import payloads

APP_DIR = Path(__file__).resolve().parents[2] / "app"
FORM_TYPE = "application/x-www-form-urlencoded"

# Values every parser trips on sooner or later, beside the hostile corpus.
EDGES = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",  # a lone surrogate
    "\u202eevil",  # a right-to-left override
    "\u200b",
    "²",
    "١٢٣",  # Arabic-Indic digits: isdigit() but not ASCII
    "-1",
    "0",
    "2147483648",
    "99999999999999999999",
    "9" * 5000,
    "1e309",
    "NaN",
    "0001-01-01T00:00",
    "9999-12-31T23:59-12:00",
    "2019-02-30",
    "true",
    "[]",
    "{}",
    "%00",
    "../../etc/passwd",
    "javascript:alert(1)",
    "//attacker.example/",
    "x" * 20_000,
]


def parameter_names() -> list[str]:
    """Every query or form parameter name the app's code reads, found in its source."""
    pattern = re.compile(
        r"""(?:request\.(?:args|form|values)\.get(?:list)?|int_arg)\(\s*["']([A-Za-z_][\w-]*)["']"""
    )
    names: set[str] = set()
    for path in APP_DIR.rglob("*.py"):
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return sorted(names)


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> the values the page offers


class _FormFinder(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(action=a.get("action") or self.page)
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "button") and a.get("name"):
            self._form.fields.setdefault(a["name"], []).append(a.get("value", ""))
        elif self._form is not None and tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form.fields.setdefault(self._select, [])
        elif self._form is not None and tag == "option" and self._select:
            self._form.fields[self._select].append(a.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(page: str, html: str) -> list[Form]:
    finder = _FormFinder(page)
    finder.feed(html)
    return finder.forms


def encode(pairs: Iterable[tuple[str, str]]) -> str:
    """URL-encode by hand, so lone surrogates and NULs reach the server as bytes a browser could send."""
    return "&".join(
        f"{quote_from_bytes(k.encode('utf-8', 'surrogatepass'))}={quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in pairs
    )


@dataclass
class Tally:
    tried: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    forms: int = 0

    def record(self, who: str, method: str, url: str, status: int) -> None:
        self.tried += 1
        self.statuses[status] += 1
        if status >= 500:
            self.failures.append(f"{who}: {method} {url[:200]} -> {status}")

    def summary(self) -> str:
        shown = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return f"{self.tried} requests, {self.forms} forms, {len(self.failures)} 5xx ({shown})"


def _forget_request_state() -> None:
    """The tests share one app context across requests, so Flask-WTF's per-request token cache (`g.csrf_token`)
    would carry one client's token into another's page; in production each request has its own context."""
    if has_app_context():
        g.pop("csrf_token", None)


def _token(client: FlaskClient) -> str | None:
    _forget_request_state()
    response = client.get("/")
    found = re.search(r'name="csrf_token" value="([^"]+)"', response.get_data(as_text=True))
    response.close()
    return found.group(1) if found else None


def _fill(rng: random.Random, options: list[str], hostile: Callable[[], str]) -> str:
    """A hostile value mostly; sometimes one the page offered, so a form gets past its first check."""
    return hostile() if rng.random() < 0.7 or not options else rng.choice(options)


def run_battery(
    clients: dict[str, tuple[FlaskClient, Callable[[FlaskClient], None] | None]],
    get_urls: list[str],
    post_urls: list[str],
    budget: int,
    seed: int = 2019,
) -> Tally:
    """Send `budget` hostile requests spread over the identities in `clients` (each with a sign-in function)."""
    rng = random.Random(seed)
    values = EDGES + payloads()
    names = parameter_names()
    tally = Tally()

    def hostile() -> str:
        return rng.choice(values)

    for who, (client, sign_in) in clients.items():
        if sign_in is not None:
            sign_in(client)
        forms: list[Form] = []
        token = ""
        for url in get_urls:
            _forget_request_state()
            response = client.get(url)
            tally.record(who, "GET", url, response.status_code)
            if response.status_code == 200 and response.mimetype == "text/html":
                html = response.get_data(as_text=True)
                forms += forms_on(url, html)
                found = re.search(r'name="csrf_token" value="([^"]+)"', html)
                token = found.group(1) if found else token
            response.close()
        tally.forms += len(forms)
        for n in range(budget // len(clients)):
            if sign_in is not None and n % 25 == 0:
                with client.session_transaction() as cookie:
                    signed_out = "_user_id" not in cookie
                if signed_out:
                    sign_in(client)
                    token = _token(client) or token  # signing in starts a new session, with a new token
            _forget_request_state()
            kind = rng.random()
            if kind < 0.4:
                url = rng.choice(get_urls)
                pairs = [(rng.choice(names), hostile()) for _ in range(rng.randint(1, 3))]
                if rng.random() < 0.2:
                    pairs.append(pairs[0])  # the same parameter twice
                target = f"{urlsplit(url).path}?{encode(pairs)}"
                response = client.get(target)
                tally.record(who, "GET", target, response.status_code)
            else:
                if forms and kind < 0.8:
                    form = rng.choice(forms)
                    action = form.action
                    pairs = [
                        (name, token if name == "csrf_token" else _fill(rng, options, hostile))
                        for name, options in form.fields.items()
                    ]
                else:
                    action = rng.choice(post_urls)
                    pairs = [("csrf_token", token)] + [
                        (rng.choice(names), hostile()) for _ in range(rng.randint(0, 4))
                    ]
                response = client.post(action, data=encode(pairs), content_type=FORM_TYPE)
                tally.record(who, "POST", action, response.status_code)
            response.close()
    return tally

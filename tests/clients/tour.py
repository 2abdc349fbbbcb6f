"""A tour of the API through the Python client openapi-python-client generates from the served
spec, used as generated: only its functions and models, no hand-made requests and no JSON parsed
by hand. Run by tests/api/clients.rs against the real binary on a fresh database with the demo
data; by hand:

    BASE_URL=http://127.0.0.1:8080 EDITOR_KEY=tf_... \
        PYTHON_CLIENT_DIR=target/clients/python target/clients-venv/bin/python tests/clients/tour.py

Every step asserts on the values it gets back and prints one line.
"""

import datetime
import os
import sys
import uuid
from pathlib import Path

import attrs

sys.path.insert(
    0,
    os.environ.get(
        "PYTHON_CLIENT_DIR",
        str(Path(__file__).resolve().parents[2] / "target" / "clients" / "python"),
    ),
)

from talentflow_client import AuthenticatedClient, Client  # noqa: E402
from talentflow_client.api.analytics import attrition, flows, search, timeline  # noqa: E402
from talentflow_client.api.companies import list_companies  # noqa: E402
from talentflow_client.api.moves import create_move, get_move, list_moves, update_move  # noqa: E402
from talentflow_client.api.researchers import create_researcher  # noqa: E402
from talentflow_client.models import (  # noqa: E402
    Attrition,
    Flows,
    Move,
    MoveInput,
    MoveKind,
    MovePatch,
    PageCompany,
    PageMove,
    Precision,
    Problem,
    Researcher,
    ResearcherInput,
    RollUp,
    SearchHit,
    SearchType,
    Timeline,
)
from talentflow_client.types import UNSET, Response, Unset  # noqa: E402

BASE_URL = os.environ["BASE_URL"]
EDITOR_KEY = os.environ["EDITOR_KEY"]
# Names made here are new on every run, so the tour can also run against a server used before.
RUN = uuid.uuid4().hex[:8]

# Undocumented statuses raise instead of parsing to None: the spec must list every answer.
# Reads go out without a key, as the spec allows (`security: [{}, {api_key: []}]`). The generator
# annotates them `client: AuthenticatedClient` all the same: it takes any `security` for a
# required one. A plain `Client` is what an anonymous caller has, and it works.
anonymous = Client(base_url=BASE_URL, raise_on_unexpected_status=True, timeout=30.0)
editor = AuthenticatedClient(
    base_url=BASE_URL, token=EDITOR_KEY, raise_on_unexpected_status=True, timeout=30.0
)


def step(message: str) -> None:
    print(f"python: {message}", flush=True)


def parsed(response: Response, status: int, model: type):
    """The parsed body of a response that must have this status and model."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.content[:500]!r}"
    )
    assert isinstance(response.parsed, model), (
        f"expected a {model.__name__}, got {type(response.parsed).__name__}"
    )
    assert_described(response.parsed)
    return response.parsed


def assert_described(value, path: str = "$") -> None:
    """Every field the server sent is one the spec describes: anything else lands in a model's
    `additional_properties`."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            assert_described(item, f"{path}[{i}]")
        return
    if not attrs.has(type(value)):
        return
    for field in attrs.fields(type(value)):
        if field.name == "additional_properties":
            extra = getattr(value, field.name)
            assert not extra, (
                f"{path} ({type(value).__name__}) has fields the spec lacks: {sorted(extra)}"
            )
        else:
            assert_described(getattr(value, field.name), f"{path}.{field.name}")


def problem(response: Response, status: int) -> Problem:
    """A problem+json answer, read through the generated `Problem` model."""
    assert response.headers.get("content-type") == "application/problem+json", (
        response.headers
    )
    found = parsed(response, status, Problem)
    assert found.status == status, found
    return found


# 1. Moves to Meta.
page = parsed(
    list_moves.sync_detailed(client=anonymous, to="meta", include_total=True),
    200,
    PageMove,
)
assert page.data and all(isinstance(m, Move) for m in page.data), (
    "a page's items are `Move`s"
)
assert all(m.to is not None and m.to.slug == "meta" for m in page.data), page
assert not isinstance(page.total, Unset) and page.total == len(page.data), page.total
valko: Move = next(m for m in page.data if m.researcher.slug == "michal-valko")
assert valko.from_ is not None and valko.from_.slug == "google-deepmind", valko.from_
assert valko.kind == MoveKind.HIRE and valko.title == "Chief Engineer, Llama", valko
assert (
    valko.effective_on == datetime.date(2024, 3, 1)
    and valko.effective_precision == Precision.MONTH
)
assert valko.sources[0].source.publisher == "The Information", valko.sources
step(
    f"{page.total} move(s) to Meta; {valko.researcher.name} from {valko.from_.name}, "
    f"{valko.effective_on:%Y-%m} as {valko.title!r}"
)

# 2. Search forgives a typo.
hits = parsed(search.sync_detailed(client=anonymous, q="balko"), 200, list)
assert hits and all(isinstance(h, SearchHit) for h in hits), hits
assert hits[0].type_ == SearchType.RESEARCHER and hits[0].name == "Michal Valko", hits[
    0
]
assert hits[0].slug == "michal-valko" and hits[0].id == valko.researcher.id, hits[0]
step(f"search 'balko' finds {hits[0].name} ({hits[0].type_}, score {hits[0].score})")

# 3. Every company, two at a time, by cursor.
slugs: list[str] = []
parents: dict[str, str | None] = {}
cursor: str | Unset = UNSET
pages = 0
total = None
while True:
    companies = parsed(
        list_companies.sync_detailed(
            client=anonymous, limit=2, cursor=cursor, include_total=True
        ),
        200,
        PageCompany,
    )
    pages += 1
    assert not isinstance(companies.total, Unset)
    total = companies.total if total is None else total
    assert companies.total == total, "the total does not change between pages"
    assert len(companies.data) <= 2
    for company in companies.data:
        slugs.append(company.slug)
        parents[company.slug] = (
            company.parent.slug if company.parent is not None else None
        )
    if companies.next_cursor is None:
        break
    cursor = companies.next_cursor
    assert pages < 100, "the cursor never ends"
assert len(slugs) == len(set(slugs)), f"a company came twice: {slugs}"
assert len(slugs) == total, f"{len(slugs)} companies paged, total says {total}"
assert parents["google-deepmind"] == "google" and parents["meta"] is None, parents
step(f"{total} companies in {pages} pages of 2, none twice: {', '.join(slugs)}")

# 4. Michal Valko's timeline.
line = parsed(timeline.sync_detailed("michal-valko", client=anonymous), 200, Timeline)
assert line.researcher.name == "Michal Valko", line.researcher
stints = [(s.company.slug, s.current) for s in line.stints]
assert stints == [("google-deepmind", False), ("meta", True)], stints
assert line.stints[0].ended_on == datetime.date(2024, 3, 1), line.stints[0]
assert (
    line.stints[1].started_on == datetime.date(2024, 3, 1)
    and line.stints[1].ended_on is None
)
assert line.stints[1].title == "Chief Engineer, Llama", line.stints[1]
assert [m.id for m in line.moves] == [valko.id], line.moves
step(
    f"timeline: {' -> '.join(s.company.name for s in line.stints)} (current: {line.stints[-1].company.name})"
)

# 5. Flows with subsidiaries rolled into their parent.
rolled = parsed(
    flows.sync_detailed(client=anonymous, roll_up=RollUp.PARENT), 200, Flows
)
nodes = {n.id: n.slug for n in rolled.nodes}
assert "google" in nodes.values() and "google-deepmind" not in nodes.values(), nodes
links = {(nodes[link.source], nodes[link.target]): link.count for link in rolled.links}
assert links.get(("google", "meta")) == 1, links
assert rolled.total_moves == sum(links.values()), rolled
plain = parsed(flows.sync_detailed(client=anonymous), 200, Flows)
assert "google-deepmind" in {n.slug for n in plain.nodes}, plain.nodes
step(
    f"flows rolled up to parents: {len(rolled.links)} links, google -> meta x{links[('google', 'meta')]}"
)

# 6. Llama's attrition.
llama = parsed(attrition.sync_detailed("llama", client=anonymous), 200, Attrition)
assert llama.project.slug == "llama" and llama.roster_size == 14, llama
assert llama.departed + llama.remaining == llama.roster_size, llama
assert 0 <= llama.departure_rate <= 1, llama.departure_rate
reported = [
    (r.departed, str(r.qualifier), r.source.publisher if r.source else None)
    for r in llama.reported
]
assert (7, "exactly", "The Information") in reported, reported
step(
    f"Llama: roster {llama.roster_size}, {llama.departed} departed by the moves on record, "
    f"press reported {reported[0][0]} ({reported[0][1]})"
)

# 7. Writes need the key; with it, a researcher and a move.
refused = create_researcher.sync_detailed(
    client=anonymous, body=ResearcherInput(name="Nobody")
)
assert problem(refused, 401).errors == [], "a missing key is not about a field"
name = f"Client Tour {RUN}"
created = create_researcher.sync_detailed(
    client=editor,
    body=ResearcherInput(
        name=name, topics=["generated clients"], aliases=[f"C. Tour {RUN}"]
    ),
    idempotency_key=f"clients-tour-researcher-{RUN}",
)
researcher = parsed(created, 201, Researcher)
assert researcher.name == name and researcher.topics == ["generated clients"], (
    researcher
)
assert researcher.current_company is None and researcher.version == 1, researcher
assert created.headers.get("location") == f"/v1/researchers/{researcher.id}", (
    created.headers
)
step(f"created researcher {researcher.slug} (401 without the key)")

made = create_move.sync_detailed(
    client=editor,
    body=MoveInput(
        researcher=researcher.slug,
        kind=MoveKind.HIRE,
        from_="openai",
        to="mistral-ai",
        effective_on="2025-06",
        title="Research Scientist",
    ),
)
move = parsed(made, 201, Move)
assert move.researcher.id == researcher.id, move.researcher
assert move.from_ is not None and move.from_.slug == "openai", move.from_
assert move.to is not None and move.to.slug == "mistral-ai", move.to
assert (
    move.effective_on == datetime.date(2025, 6, 1)
    and move.effective_precision == Precision.MONTH
)
assert (
    move.title == "Research Scientist" and move.deal is None and move.sources == []
), move
step(
    f"created move {move.id}: {move.from_.name} -> {move.to.name}, {move.effective_on:%Y-%m}"
)

# 8. A conditional GET: the ETag of a read, sent back as If-None-Match, gives 304 and no body.
read = get_move.sync_detailed(move.id, client=anonymous)
assert parsed(read, 200, Move).id == move.id
etag = read.headers.get("etag")
assert etag and etag.startswith('"'), read.headers
unchanged = get_move.sync_detailed(move.id, client=anonymous, if_none_match=etag)
assert (
    unchanged.status_code == 304
    and unchanged.content == b""
    and unchanged.parsed is None
), unchanged
assert unchanged.headers.get("etag") == etag, unchanged.headers
step(f"GET with If-None-Match {etag} -> 304")

# 9. A PATCH with If-Match: the current tag writes, the same tag again (now stale) is refused.
patched = update_move.sync_detailed(
    move.id,
    client=editor,
    body=MovePatch(title="Staff Research Scientist"),
    if_match=etag,
)
after = parsed(patched, 200, Move)
assert (
    after.title == "Staff Research Scientist" and after.version == move.version + 1
), after
assert after.to is not None and after.to.slug == "mistral-ai", (
    "a merge patch keeps other fields"
)
new_etag = patched.headers.get("etag")
assert new_etag and new_etag != etag, patched.headers
stale = update_move.sync_detailed(
    move.id, client=editor, body=MovePatch(title="Lost update"), if_match=etag
)
precondition = problem(stale, 412)
assert precondition.type_ == "/problems/precondition-failed", precondition
current = parsed(get_move.sync_detailed(move.id, client=anonymous), 200, Move)
assert current.title == "Staff Research Scientist", "the stale write changed nothing"
step(f"PATCH with If-Match -> 200 (version {after.version}); with the stale tag -> 412")

# 10. A validation problem, read through the generated Problem model.
invalid = create_move.sync_detailed(
    client=editor,
    body=MoveInput(
        researcher=researcher.slug,
        kind=MoveKind.HIRE,
        from_="meta",
        to="meta",
        effective_on="2025-07",
    ),
)
found = problem(invalid, 422)
assert found.type_ == "/problems/validation", found
assert (
    found.errors[0].field == "to"
    and found.errors[0].message == "must differ from `from`"
), found.errors
assert isinstance(found.errors[0].line, Unset), "`line` is for imports only"
step(f"422 {found.title}: {found.errors[0].field} {found.errors[0].message}")

print("python: the generated client did the whole tour", flush=True)

#!/usr/bin/env python3
"""Turns the statements one API request ran into a pgbench script (used by bench/run.sh).

    capture.py LOG OFFSET APPLICATION > script.sql

LOG is the stderr log of a Postgres started with log_line_prefix '%m [%p] app=%a ' and whose
sessions of APPLICATION had log_statement = 'all'; OFFSET is its size in bytes before the
request. Every statement that sessions of APPLICATION logged after OFFSET is written in order,
one pgbench command each, with the values of its bind parameters (from the `DETAIL:
parameters:` line that follows an extended-protocol `execute`) substituted as literals, so that
pgbench -M prepared runs the code's own SQL with the request's own values. Transaction control
(BEGIN ..., COMMIT, ROLLBACK, SET LOCAL) is kept in place.

A few statements are not the request's work and are skipped, each named on stderr: the driver's
look-ups of type OIDs in pg_catalog (once per connection), LISTEN/UNLISTEN of the change
stream, and a bare `SELECT 1` (the readiness probe). An ERROR logged by APPLICATION fails the
capture, as does a request that ran no statement.
"""

import re
import sys

PREFIX = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] app=(.*?) ([A-Z]+):  (.*)$")
# A token of SQL text that matters here: a quoted literal or identifier, a comment, a
# positional parameter. Everything else is copied as is.
TOKEN = re.compile(
    r"(?P<literal>[Ee]?'(?:[^']|'')*')"
    r"|(?P<ident>\"(?:[^\"]|\"\")*\")"
    r"|(?P<comment>--[^\n]*|/\*.*?\*/)"
    r"|\$(?P<param>\d+)",
    re.S,
)
PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')", re.S)
# What pgbench takes for one of its :variables: a colon not after another colon, followed by a
# letter, an underscore or a non-ASCII byte.
PGBENCH_VARIABLE = re.compile(r"(?<!:):(?=[A-Za-z_\x80-\U0010ffff])")


def entries(text):
    """(pid, application, level, message) for each log entry; continuation lines of a
    multi-line message come tab-indented and are joined back."""
    entry = None
    for line in text.split("\n"):
        match = PREFIX.match(line)
        if match:
            if entry:
                yield entry
            entry = [match.group(1), match.group(2), match.group(3), match.group(4)]
        elif line.startswith("\t") and entry:
            entry[3] += "\n" + line[1:]
    if entry:
        yield entry


def substitute(sql, params):
    def one(match):
        if match.group("param") is None:
            return match.group(0)
        number = int(match.group("param"))
        if number not in params:
            sys.exit(f"capture: no value for ${number} in: {sql}")
        return params[number]

    return TOKEN.sub(one, sql)


def pgbench_safe(sql):
    """pgbench would read `:name` as one of its variables, even inside quotes: a literal that
    holds one is rewritten as an escape string with the colon as \\x3a, a quoted identifier
    as a Unicode-escaped one (U&"...\\003A..."), and elsewhere (an array slice, a comment) a
    space goes after the colon. A backslash outside quotes would start a pgbench meta-command: refused."""

    def one(match):
        literal, ident = match.group("literal"), match.group("ident")
        if literal and PGBENCH_VARIABLE.search(literal):
            if literal[0] in "Ee":
                return "E" + PGBENCH_VARIABLE.sub(r"\\x3a", literal[1:])
            body = literal[1:-1].replace("\\", "\\\\")
            return "E'" + PGBENCH_VARIABLE.sub(r"\\x3a", body) + "'"
        if ident and PGBENCH_VARIABLE.search(ident):
            body = ident[1:-1].replace("\\", "\\\\")
            return 'U&"' + PGBENCH_VARIABLE.sub(r"\\003A", body) + '"'
        if match.group("comment"):
            return PGBENCH_VARIABLE.sub(": ", match.group(0))
        return match.group(0)

    out = []
    last = 0
    for match in TOKEN.finditer(sql):
        out.append(PGBENCH_VARIABLE.sub(": ", sql[last : match.start()]))
        out.append(one(match))
        last = match.end()
    out.append(PGBENCH_VARIABLE.sub(": ", sql[last:]))
    safe = "".join(out)
    if "\\" in TOKEN.sub("", safe):
        sys.exit(f"capture: a backslash outside a literal, which pgbench cannot run: {sql}")
    return safe


def skipped(sql):
    flat = " ".join(sql.split()).rstrip(";").strip()
    upper = flat.upper()
    if upper.startswith(("LISTEN ", "UNLISTEN ")):
        return "LISTEN of the change stream"
    if upper == "SELECT 1":
        return "readiness probe"
    if "PG_CATALOG." in upper:
        return "the driver's type look-up"
    return None


def main():
    log, offset, application = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    statements = []  # [sql, params or None]
    last_execute = {}  # pid -> the statement its DETAIL line belongs to
    for pid, app, level, message in entries(text):
        if app != application:
            continue
        if level in ("ERROR", "FATAL", "PANIC"):
            sys.exit(f"capture: {application} logged {level}: {message}")
        if level == "LOG":
            found = re.match(r"(?:statement|execute [^:]*): (.*)$", message, re.S)
            if not found:
                continue
            statement = [found.group(1), None]
            statements.append(statement)
            last_execute[pid] = statement if message.startswith("execute ") else None
        elif level == "DETAIL" and message.startswith("parameters: ") and last_execute.get(pid):
            params = {int(n): value for n, value in PARAM.findall(message[len("parameters: "):])}
            last_execute[pid][1] = params
            last_execute[pid] = None
    out = []
    for sql, params in statements:
        reason = skipped(sql)
        if reason:
            print(f"capture: skipped ({reason}): {' '.join(sql.split())[:100]}", file=sys.stderr)
            continue
        sql = pgbench_safe(substitute(sql, params or {}).strip().rstrip(";").rstrip())
        # A statement that ends in a line comment gets its semicolon on the next line.
        ends_in_comment = re.search(r"--[^\n]*$", TOKEN.sub(lambda m: m.group("comment") or "x", sql))
        out.append(sql + ("\n;\n" if ends_in_comment else ";\n"))
    if not out:
        sys.exit("capture: the request ran no statement")
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes docs/drive-conformance.md: every item of the Drive spec's conformance checklist
(spec/drive-external-api.md §13), then the project's own items (`FID-*`, below: upstream
behaviour the spec's checklist has no item for), with the tests that name them.

Tests name the items they cover in their function names (`itm_16_...`, ranges such as
`met_03_to_08_...`) or in comments and messages (`ITM-24`).

A mention is not proof: an item whose tests assert only part of it is `partial`, with what is
missing, either listed in PARTIAL below or marked in a test as `ITM-24 (partial: <missing>)`.
Only an item named by a test and not partial anywhere is "tested".

Usage: python3 tests/drive_checklist.py [path/to/drive-external-api.md] > docs/drive-conformance.md
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared/spec/drive-external-api.md"
ITEM = re.compile(r"^- \[ \] ([A-Z]{3})-(\d\d) (.*)$")
NAME = re.compile(r"(?:^|_)(ext|gat|itm|met|usr|fid)_(\d\d)(?:_to_(\d\d))?(?=_|$)", re.IGNORECASE)
MENTION = re.compile(r"\b(EXT|GAT|ITM|MET|USR|FID)-(\d\d)\b")
PARTIAL_MARK = re.compile(r"\b((?:EXT|GAT|ITM|MET|USR|FID)-\d\d) \(partial: ([^)]*)\)")
# The project's own checklist items: upstream behaviour (Drive 0.21.1 and the libraries it
# pins) that no item of the spec's checklist covers.
OWN_ITEMS = [
    ("FID-01", "Default fixture: a fresh user's `GET items/` → 200 `{\"count\":0,\"next\":null,\"previous\":null,\"results\":[]}`; items created have `main_workspace` false (none since Drive 0.13)."),
    ("FID-02", "`GET items/favorites/` and `GET items/recents/` → 200 for any introspected token, whatever `EXTERNAL_API` and `OIDC_RS_ALLOWED_AUDIENCES` (their `permission_classes` replace the gate); no token → 401."),
    ("FID-03", "A path no route matches (`nope/`, `items/<id>/nope/`) → 404 `text/html; charset=utf-8`, Django's plain page byte for byte (179 bytes); a disabled nested resource the same."),
    ("FID-04", "`django_lasuite = \"0.1.0\"`: inactive token → 401 `Introspected user is not active`; scope → 401 `Introspection response is missing required scopes.`; inactive Drive user → 401 `User inactive or deleted.`"),
    ("FID-05", "`configuration = \"Development\"`: SuspiciousOperation → 400 debug page; other unhandled exceptions → 500 debug page; no route → debug 404; POST without slash → 500 page."),
    ("FID-06", "Malformed JSON → 400 `parse_error`, detail `JSON parse error - ` + Python 3.13's message and `line L column C (char P)`."),
    ("FID-07", "Favorites and recents: the 27 fields of `ListItemLightSerializer`, the item's own link fields, `-updated_at`, and the trees of accessed and link-traced (not restricted) items."),
    ("FID-08", "`metrics/usage/` with a valid bearer token → 403 `permission_denied` (OIDCAuthentication via userinfo, then HasAPIKey); an inactive one → 401 `Token verification failed`."),
    ("FID-09", "django-lasuite 0.0.28 (default): inactive (unknown, revoked, expired, other realm) or out-of-scope token → 500 `server_error`; the journal records the cause."),
    ("FID-10", "`POST items/` without `type` and upload-ended with no object in the store → 500 `server_error` (Production); the journal records the cause."),
]
# Items whose tests assert only part of them: what is missing.
PARTIAL = {
}
# Items that test an upstream setting the emulator does not have, and why.
NOT_APPLICABLE = {
    "EXT-01": "the emulator is always a resource server (OIDC_RESOURCE_SERVER_ENABLED has no off switch)",
    "EXT-02": "same; and there are no Drive session logins",
    "USR-01": "same as EXT-01",
    "USR-02": "same as EXT-02",
    "ITM-19": "the upload ACL is fixed to `private` (AWS_S3_UPLOAD_ACL is not configurable)",
    "ITM-27": "entitlements always allow (upstream's default backend; no quota backend to refuse)",
    "ITM-37": "same as ITM-27",
    "ITM-49": "same as ITM-27",
    "ITM-40": "DATA_UPLOAD_MAX_MEMORY_SIZE is fixed at 2 GiB; the size check is in src/drive/upload.rs",
    "ITM-42": "no malware scanner, so no file is ever `suspicious` (the visibility rule is still applied)",
    "ITM-62": "no WOPI client is configured (ITM-61 covers the refusal)",
}
FUNCTION = re.compile(r"^\s*(?:async fn|def) (\w+)")


def test_files():
    yield from sorted((ROOT / "tests/it").glob("drive_*.rs"))
    yield from sorted((ROOT / "tests/clients").glob("test_drive_*.py"))


def coverage():
    covered, partial = {}, {}
    for path in test_files():
        current = None
        for line in path.read_text().splitlines():
            function = FUNCTION.match(line)
            if function:
                current = function.group(1)
                for prefix, start, end in NAME.findall(current):
                    for number in range(int(start), int(end or start) + 1):
                        covered.setdefault(f"{prefix.upper()}-{number:02d}", set()).add(
                            f"{path.relative_to(ROOT)}::{current}"
                        )
            for prefix, number in MENTION.findall(line):
                if current:
                    covered.setdefault(f"{prefix}-{number}", set()).add(f"{path.relative_to(ROOT)}::{current}")
            for item, missing in PARTIAL_MARK.findall(line):
                partial.setdefault(item, []).append(missing.strip())
    return covered, partial


def main():
    covered, marked = coverage()
    items = []
    for line in SPEC.read_text().splitlines():
        match = ITEM.match(line)
        if match:
            items.append((f"{match.group(1)}-{match.group(2)}", match.group(3)))
    items += OWN_ITEMS
    rows, total, done, partial = [], 0, 0, 0
    for item, text in items:
        text = text.replace("|", "\\|")
        if len(text) > 110:
            text = text[:107] + "..."
        tests = sorted(covered.get(item, []))
        missing = ([PARTIAL[item]] if item in PARTIAL else []) + marked.get(item, [])
        total += 1
        if tests and missing:
            partial += 1
            status = "partial: missing " + "; ".join(missing)
        elif tests:
            done += 1
            status = "tested"
        else:
            status = f"n/a: {NOT_APPLICABLE[item]}" if item in NOT_APPLICABLE else "not yet"
        rows.append(f"| {item} | {text} | {'<br>'.join(f'`{t}`' for t in tests) or '-'} | {status} |")
    print("# Drive external API conformance\n")
    print("Every item of the conformance checklist of `spec/drive-external-api.md` §13, with the tests")
    print("that name it. Generated by `python3 tests/drive_checklist.py > docs/drive-conformance.md`.")
    print("\"tested\" means the tests naming the item assert all of it; \"partial\" says what they")
    print("miss. `FID-*` items are the project's own (upstream behaviour the spec's checklist has no")
    print("item for; listed in `tests/drive_checklist.py`). Deliberate differences from upstream are")
    print("in `docs/compat.md`.\n")
    skipped = sum(1 for row in rows if "| n/a: " in row)
    print(f"**{done} of {total} items tested; {partial} partial; {skipped} not applicable (reason given); "
          f"{total - done - partial - skipped} not yet.**\n")
    print("| item | behaviour | tests | status |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

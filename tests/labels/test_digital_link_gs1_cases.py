"""GS1's own Digital Link parser test cases (tests/data/gs1/, from gs1-syntax-engine).

The library resolves one primary key, GTIN (01), with the qualifiers 22, 10 and 21,
and any query AI it can check. Every case is run:
- a URI GS1 refuses must be refused (any reason);
- a URI GS1 accepts, within that scope, must give GS1's element string;
- a URI GS1 accepts whose key is another one (SSCC 00, GDTI 253, GSRN 8018, GINC 401,
  GLN 414, GIAI 8004) or whose GTIN qualifier is TPX (235) must be refused as
  unsupported, with that reason;
- a case that needs a non-default GS1 parser option is judged as the default-options
  case with the same URI, when the file has one.
Every case is run through `parse_sscc_link` too, which must give GS1's element string
for the URIs GS1 accepts with an SSCC (00) key, and refuse every other one.
Skipped: URIs accepted only under an option (convenience alphas like /gtin/, removed
in Digital Link 1.3; GTINs written with fewer than 14 digits) for which GS1 gives no
default-options verdict: the library offers neither option.
"""
import json
from pathlib import Path

import pytest

from labels.digital_link import DigitalLinkError, parse_link, parse_sscc_link

CASES = json.loads((Path(__file__).parents[1] / "data/gs1/digital_link_parse_cases.json")
                   .read_text("utf-8"))["cases"]
DEFAULTS = {c["uri"]: c for c in CASES if not c["options"]}


def expectation(case):
    """(what to expect, why) for one case: "accept", "refuse", "unsupported" or a skip."""
    if case["options"]:
        twin = DEFAULTS.get(case["uri"])
        if twin is None:
            if not case["ok"]:
                # Options only widen what is accepted: refused with one, refused without.
                return "refuse", None
            return "skip", f"accepted only with GS1 parser option {sorted(case['options'])}, " \
                "which this library does not offer; no default-options verdict for this URI"
        case = twin
    if not case["ok"]:
        return "refuse", None
    element_string = case["element_string"]
    if not element_string.startswith("^01") or element_string[17:20] == "235":
        return "unsupported", None
    return "accept", None


def case_id(case):
    return (case["uri"] or "<empty>")[:70] + (" +options" if case["options"] else "")


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_gs1_parse_case(case):
    expected, why = expectation(case)
    if expected == "skip":
        pytest.skip(why)
    if expected == "accept":
        assert parse_link(case["uri"]).element_string == DEFAULTS.get(
            case["uri"], case)["element_string"]
        return
    with pytest.raises(DigitalLinkError) as caught:
        parse_link(case["uri"])
    if expected == "unsupported":
        assert caught.value.reason in ("unsupported_key", "unsupported_ai")
        assert "this system does not" in str(caught.value)


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_gs1_parse_case_as_an_sscc_link(case):
    expected, why = expectation(case)
    if expected == "skip":
        pytest.skip(why)
    verdict = DEFAULTS.get(case["uri"], case) if case["options"] else case
    if verdict["ok"] and verdict["element_string"].startswith("^00"):
        assert parse_sscc_link(case["uri"]).element_string == verdict["element_string"]
        return
    with pytest.raises(DigitalLinkError):
        parse_sscc_link(case["uri"])


def test_the_skipped_cases_are_few():
    # 35 accepted with GS1's element string, 52 refused, 23 refused as unsupported.
    kinds = [expectation(c)[0] for c in CASES]
    assert len(CASES) == 118
    assert kinds.count("skip") == 8
    assert kinds.count("accept") == 35
    sscc_keys = [c for c in CASES if c["ok"] and not c["options"]
                 and c["element_string"].startswith("^00")]
    assert len(sscc_keys) == 13

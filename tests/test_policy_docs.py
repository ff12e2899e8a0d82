"""docs/policy.md against the tests: every test its tables name exists, and every HTTP test
of the tenant and policy modules is named by a row."""

from __future__ import annotations

import re
from pathlib import Path

import tests.test_policy_http as policy_tests
import tests.test_tenants as tenant_tests

DOC = Path(__file__).parent.parent / "docs" / "policy.md"


def named_in_doc() -> set[str]:
    return set(re.findall(r"`(test_[a-z0-9_]+)`", DOC.read_text()))


def names_of_tests(module: object) -> set[str]:
    return {name for name in vars(module) if name.startswith("test_")}


def test_every_named_test_exists() -> None:
    known = names_of_tests(tenant_tests) | names_of_tests(policy_tests)
    assert named_in_doc() <= known, named_in_doc() - known


def test_every_tenant_and_policy_test_is_documented() -> None:
    undocumented = (names_of_tests(tenant_tests) | names_of_tests(policy_tests)) - named_in_doc()
    assert undocumented <= {"test_access_rejects_unknown_method_names", "test_sync_policy"}

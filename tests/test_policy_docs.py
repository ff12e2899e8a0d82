"""docs/policy.md against the tests: every test its tables name exists, and every test of
the tenant, policy, audit, fault and sample-tenant modules is named by a row."""

from __future__ import annotations

import re
from pathlib import Path

import tests.test_audit as audit_tests
import tests.test_audit_transactions as transaction_tests
import tests.test_faults as fault_tests
import tests.test_policy_every_path as every_path_tests
import tests.test_policy_http as policy_tests
import tests.test_sample_tenants as sample_tenant_tests
import tests.test_tenants as tenant_tests

DOC = Path(__file__).parent.parent / "docs" / "policy.md"
MODULES = (
    tenant_tests,
    policy_tests,
    audit_tests,
    transaction_tests,
    fault_tests,
    sample_tenant_tests,
    every_path_tests,
)


def named_in_doc() -> set[str]:
    return set(re.findall(r"`(test_[a-z0-9_]+)`", DOC.read_text()))


def names_of_tests(module: object) -> set[str]:
    return {name for name in vars(module) if name.startswith("test_")}


def all_tests() -> set[str]:
    return set().union(*map(names_of_tests, MODULES))


def test_every_named_test_exists() -> None:
    known = all_tests()
    assert named_in_doc() <= known, named_in_doc() - known


def test_every_tenant_and_policy_test_is_documented() -> None:
    undocumented = all_tests() - named_in_doc()
    assert undocumented <= {"test_access_rejects_unknown_method_names", "test_sync_policy"}

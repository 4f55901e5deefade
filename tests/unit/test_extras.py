"""A missing extra is a usage error naming what to install, not an ImportError."""

from __future__ import annotations

import pytest

from floe_ci.errors import FloeUsageError
from floe_ci.integrations.extras import require_extra


def test_an_installed_module_passes() -> None:
    require_extra("json", "all", "anything")


@pytest.mark.parametrize("module", ["floe_no_such_module", "floe_no_such_package.sub"])
def test_a_missing_module_names_the_extra(module: str) -> None:
    with pytest.raises(FloeUsageError) as raised:
        require_extra(module, "runtime", "`floe run`")
    [problem] = raised.value.problems
    assert "`floe run` needs" in problem.message and module in problem.message
    assert problem.hint == "pip install 'floe-ci[runtime]' (or 'floe-ci[all]')"

"""The tests the READMEs show pass as written (run in an inner pytest session): the package's
manual and the "QA in Python" block of the repository's front page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from test_processes import plugin_args

HERE = Path(__file__).resolve().parents[1]


def first_python_block(readme: Path) -> str:
    found = re.search(r"```python\n(.*?)```", readme.read_text(), re.DOTALL)
    assert found, f"no python block in {readme}"
    return found.group(1)


@pytest.mark.parametrize("readme", ["../README.md", "README.md"])
def test_the_readme_test_passes(
    readme: str, pytester: pytest.Pytester, pytestconfig: pytest.Config
) -> None:
    pytester.makepyfile(test_readme_block=first_python_block(HERE / readme))
    result = pytester.runpytest_subprocess(*plugin_args(pytestconfig), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

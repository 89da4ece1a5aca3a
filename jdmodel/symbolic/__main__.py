"""``python -m jdmodel.symbolic [PATH [PLAN]]``: regenerate ``docs/equations.md`` (or PATH) from the sympy source.

PLAN (a plan name or folder) defaults to the default plan.
"""

import sys
from pathlib import Path

from jdmodel.symbolic.display import write_equations_doc

default = Path(__file__).resolve().parents[2] / "docs" / "equations.md"
path = sys.argv[1] if len(sys.argv) > 1 else default
print(write_equations_doc(path, sys.argv[2] if len(sys.argv) > 2 else None))

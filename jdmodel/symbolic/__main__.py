"""``python -m jdmodel.symbolic [PATH]``: regenerate ``docs/equations.md`` (or PATH) from the sympy source."""

import sys
from pathlib import Path

from jdmodel.symbolic.display import write_equations_doc

default = Path(__file__).resolve().parents[2] / "docs" / "equations.md"
print(write_equations_doc(sys.argv[1] if len(sys.argv) > 1 else default))

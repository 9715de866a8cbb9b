"""analysis/ must stay a library: importing all of it loads neither Streamlit nor a database."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import importlib, pkgutil, sys
import analysis
for name in analysis.__all__:
    getattr(analysis, name)  # every public name resolves
for mod in pkgutil.iter_modules(analysis.__path__):
    importlib.import_module("analysis." + mod.name)
bad = sorted(m for m in sys.modules if m.split(".")[0] in {"streamlit", "sqlmodel", "sqlalchemy", "alembic", "portal"})
print(",".join(bad))
"""


def test_analysis_imports_no_streamlit_or_database():
    result = subprocess.run(
        [sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"analysis imported: {result.stdout.strip()}"

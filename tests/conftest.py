"""Make this checkout importable as ansible_collections.pgwarden.postgresql."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = subprocess.check_output([os.path.join(ROOT, 'scripts', 'collection-path.sh')], text=True).strip()
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
os.environ['ANSIBLE_COLLECTIONS_PATH'] = COLLECTIONS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ci_noskip import pytest_runtest_makereport  # noqa: E402,F401 pylint: disable=wrong-import-position,unused-import

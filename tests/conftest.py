import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis: `HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py` runs
# thousands of examples per property instead of hundreds (tests/test_properties.py reads the
# profile's max_examples as its minimum).
import os as _os

from hypothesis import settings as _settings

_settings.register_profile("thorough", max_examples=5000, deadline=None)
_settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "default"))

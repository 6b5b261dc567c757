import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# Hypothesis: `HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py` runs
# thousands of examples per property instead of hundreds (tests/test_properties.py reads the
# profile's max_examples as its minimum).
import os as _os

from hypothesis import settings as _settings

# The default runs the same examples every time (derandomize), so that a test run, CI's above all,
# passes or fails on the code alone; `HYPOTHESIS_PROFILE=explore` draws new ones each run, to find
# what the fixed ones miss (with DIFFERENTIAL_EXAMPLES=5000 it found |√(eʸ)| and relu(Σ²) cases).
_settings.register_profile("ci", derandomize=True)
_settings.register_profile("thorough", max_examples=5000, deadline=None, derandomize=True)
_settings.register_profile("explore", derandomize=False, deadline=None)
_settings.load_profile(_os.environ.get("HYPOTHESIS_PROFILE", "ci"))

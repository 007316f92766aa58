"""The portal's production settings for the load test's web process and worker, with two changes to the static
files, which the scenario does not request (browsers keep them cached from the days before the deadline):

- they are collected into the run's own folder (LOADTEST_STATIC_ROOT), never into the project's staticfiles/;
- they keep the manifest's hashed names but are not pre-compressed: WhiteNoise's compression of every collected
  file (ECharts' whole dist folder among them) takes minutes and would only slow the set-up down.
"""

import os
from pathlib import Path

from greencommunity.settings import *  # noqa: F403
from greencommunity.settings import STORAGES

STATIC_ROOT = Path(os.environ["LOADTEST_STATIC_ROOT"])
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}

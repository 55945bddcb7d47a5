"""python -m lda_model.release --run RUN --name NAME --data CACHE [...]: see `ship.py`."""

import sys

from .ship import main

sys.exit(main())

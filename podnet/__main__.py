"""``python -m podnet``: the same CLI as the ``podnet`` console script."""

from podnet.cli import main

raise SystemExit(main())

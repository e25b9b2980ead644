import sys

from edge_verify.cli import main

sys.exit(main())

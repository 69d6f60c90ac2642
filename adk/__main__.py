import sys

from adk.cli import main

sys.exit(main())

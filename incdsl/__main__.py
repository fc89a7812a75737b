import sys

from incdsl.cli import main

sys.exit(main())

import sys

from findings_processor.cli import main

sys.exit(main())

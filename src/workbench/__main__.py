"""`python -m workbench` is the same as the `workbench` command."""

from workbench.app import main

raise SystemExit(main())
